import { userInfo } from 'node:os';
import { isAbsolute } from 'node:path';
import { SettingsError } from '../common';
import type { Destination } from './destination';
import { FolderDestination } from './folderDestination';
import { S3Destination } from './s3Destination';
import type { S3BackendOptions } from './s3Backend';
import { checkS3Endpoint, parseS3Location } from './s3Location';
import { SftpDestination } from './sftpDestination';
import type { SftpOptions } from './sftpOptions';
import { parseSftpUrl } from './sftpTarget';

/**
 * What a destination may need besides its address: for S3, `lifeboat.offsite.s3.*` and keys from
 * SecretStorage; for SFTP, the key and the questions a front end can ask.
 */
export interface DestinationOptions {
  s3?: S3BackendOptions;
  sftp?: SftpOptions;
}

/**
 * The destination named by `lifeboat.offsite.destination` (already made absolute by the
 * settings), or undefined when none is set: a folder, `s3://bucket/prefix` or
 * `sftp://user@host[:port]/path`.
 */
export function parseDestination(value: string | undefined, opts: DestinationOptions = {}): Destination | undefined {
  const text = (value ?? '').trim();
  if (!text) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'sftp') return new SftpDestination(parseSftpUrl(text, userInfo().username), opts.sftp);
  if (scheme === 's3') {
    const s3 = opts.s3 ?? {};
    return new S3Destination(parseS3Location(text), { ...s3, endpoint: checkS3Endpoint(s3.endpoint) });
  }
  if (scheme) {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}": "${scheme}://" is not a destination Lifeboat knows.`,
      'Use the path of a folder (a mounted NAS or USB disk), an S3 location ("s3://bucket/prefix") or an SFTP server ("sftp://user@host/path").',
    );
  }
  if (!isAbsolute(text)) {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}", which is not an absolute folder path.`,
      'Use the full path of a mounted NAS or USB disk, such as "/mnt/nas/sms-backups".',
    );
  }
  return new FolderDestination(text);
}
