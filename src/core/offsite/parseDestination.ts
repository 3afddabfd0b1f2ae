import { isAbsolute } from 'node:path';
import { SettingsError } from '../common';
import type { Destination } from './destination';
import { FolderDestination } from './folderDestination';
import { S3Destination } from './s3Destination';
import type { S3BackendOptions } from './s3Backend';
import { checkS3Endpoint, parseS3Location } from './s3Location';

/** What a URL destination needs beyond its URL: `lifeboat.offsite.s3.*`, keys from SecretStorage. */
export interface DestinationOptions {
  s3?: S3BackendOptions;
}

/**
 * The destination named by `lifeboat.offsite.destination` (already made absolute by the
 * settings), or undefined when none is set: a folder, or `s3://bucket/prefix`.
 */
export function parseDestination(value: string | undefined, options: DestinationOptions = {}): Destination | undefined {
  const text = (value ?? '').trim();
  if (!text) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 's3') {
    const s3 = options.s3 ?? {};
    return new S3Destination(parseS3Location(text), { ...s3, endpoint: checkS3Endpoint(s3.endpoint) });
  }
  if (scheme === 'sftp') {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}": SFTP destinations are not supported yet.`,
      'Use a folder (a mounted NAS or USB disk, such as "/mnt/nas/sms-backups") or S3-compatible storage ("s3://bucket/prefix") for now; SFTP comes in a later version.',
    );
  }
  if (scheme) {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}": "${scheme}://" is not a destination Lifeboat knows.`,
      'Use the path of a folder (a mounted NAS or USB disk) or an S3 location ("s3://bucket/prefix").',
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
