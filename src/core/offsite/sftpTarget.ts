import { SettingsError } from '../common';

/** Where an `sftp://user@host[:port]/absolute/path` destination points. */
export interface SftpTarget {
  user: string;
  host: string;
  port: number;
  /** The absolute folder on the server that mirrors the local backup folder. */
  root: string;
}

/**
 * Reads `sftp://user@host[:port]/absolute/path`. A password in the URL is refused: it would sit
 * in settings.json in clear (contract 8); keys and ssh-agent are the ways in.
 */
export function parseSftpUrl(text: string, localUser: string): SftpTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}", which is not a valid sftp:// address.`,
      'Write it as sftp://user@host/absolute/path (or sftp://user@host:port/absolute/path), such as "sftp://backup@nas.local/srv/backups/sms".',
    );
  }
  if (url.password) {
    throw new SettingsError(
      'The setting lifeboat.offsite.destination holds a password in its sftp:// address; passwords are never kept in settings.',
      'Remove the password from the address and log in with an SSH key (lifeboat.offsite.sftp.identityFile) or ssh-agent.',
    );
  }
  const root = decodeURIComponent(url.pathname).replace(/\/+$/, '');
  if (!url.hostname || !root.startsWith('/') || root.split('/').includes('..')) {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}": an sftp:// destination needs a host and an absolute folder path on it.`,
      'Write it as sftp://user@host/absolute/path, such as "sftp://backup@nas.local/srv/backups/sms".',
    );
  }
  const port = url.port ? Number(url.port) : 22;
  return {
    user: decodeURIComponent(url.username) || localUser,
    // An IPv6 literal comes bracketed; ssh and known_hosts use the bare address.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    root,
  };
}

/** The address as users wrote it, for messages: no secret can be in it (a password is refused). */
export function sftpAddress(target: SftpTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `sftp://${target.user}@${host}${target.port === 22 ? '' : `:${target.port}`}${target.root}`;
}
