import { createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { LifeboatError, errorText } from '../common';

/** The user's known_hosts, where `ssh` keeps the host keys it trusts. */
export function defaultKnownHosts(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/** How known_hosts names a host: the bare name on port 22, `[name]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * Adds a host key the user has just trusted, hashed (`|1|salt|hash`) as Debian's ssh writes
 * it (HashKnownHosts yes), so the file does not list the hosts this machine reaches. ssh and the
 * Docker CLI then trust it too. The folder and file are created private when missing.
 */
export async function trustHostKey(host: string, port: number, keyBlob: Buffer, file = defaultKnownHosts()): Promise<void> {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(knownHostName(host, port)).digest('base64');
  const type = keyBlob.subarray(4, 4 + keyBlob.readUInt32BE(0)).toString('latin1');
  try {
    await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
    let before = '';
    try {
      before = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // A file whose last line has no newline would otherwise have the new entry glued to it.
    const sep = before && !before.endsWith('\n') ? '\n' : '';
    await fs.appendFile(file, `${sep}|1|${salt.toString('base64')}|${hash} ${type} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
  } catch (err) {
    // The key was not trusted: said with the file, so the user can fix it and answer again.
    throw new LifeboatError(
      `Cannot add the host key of ${host} to ${file}: ${errorText(err)}.`,
      `Make ${file} a writable file (it is OpenSSH's known_hosts), or add the key with: ssh-keyscan -p ${port} ${host} >> ${file}`,
      undefined,
      { cause: err },
    );
  }
}
