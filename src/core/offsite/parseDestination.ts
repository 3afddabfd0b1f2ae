import { isAbsolute } from 'node:path';
import { SettingsError } from '../common';
import type { Destination } from './destination';
import { FolderDestination } from './folderDestination';

/**
 * The destination named by `lifeboat.offsite.destination` (already made absolute by the
 * settings), or undefined when none is set. Only folders are supported in this version.
 */
export function parseDestination(value: string | undefined): Destination | undefined {
  const text = (value ?? '').trim();
  if (!text) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 's3' || scheme === 'sftp') {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}": ${scheme === 's3' ? 'S3' : 'SFTP'} destinations are not supported yet.`,
      'Use a folder for now (a mounted NAS or USB disk, such as "/mnt/nas/sms-backups"); S3-compatible storage and SFTP come in a later version.',
    );
  }
  if (scheme) {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}": "${scheme}://" is not a destination Lifeboat knows.`,
      'Use the path of a folder (a mounted NAS or USB disk).',
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
