import { promises as fs, constants } from 'node:fs';
import { LifeboatError } from '../common';

/**
 * Reads a passphrase from a key file such as the runbook's `/secrets/backup_key`, exactly as
 * `-k "$(cat /secrets/backup_key)"` sees it: command substitution drops every trailing newline
 * (not a trailing CR or space) and bash drops NUL bytes. A file that group or others can read or
 * write is refused, the way ssh refuses a loose private key: its secret may already be out.
 * Returns bytes, because a key need not be UTF-8 and openssl gets its argv as bytes.
 */
export async function readKeyFile(path: string): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    // O_NOFOLLOW is not wanted: /secrets/backup_key is often a symlink into a mounted secret.
    handle = await fs.open(path, constants.O_RDONLY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new LifeboatError(
        `The key file ${path} does not exist.`,
        'Create it (e.g. `openssl rand -base64 32 > key && chmod 600 key`) or choose another key file.',
      );
    if (code === 'EACCES' || code === 'EPERM')
      throw new LifeboatError(
        `The key file ${path} is not readable by this user (${code}).`,
        `Make it readable by you only: \`chmod 600 ${path}\` as its owner.`,
      );
    throw new LifeboatError(`Cannot read the key file ${path}: ${(err as Error).message}`, undefined, undefined, { cause: err });
  }
  try {
    // fstat on the open handle: the mode checked is the mode of the file actually read.
    const st = await handle.stat();
    if (!st.isFile())
      throw new LifeboatError(`The key file ${path} is not a regular file.`, 'Point Lifeboat at the file that holds the key.');
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new LifeboatError(
        `The key file ${path} is readable or writable by other users (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')}).`,
        `Restrict it to its owner: \`chmod 600 ${path}\`. If others could read it, consider the key exposed and re-encrypt with a new one.`,
      );
    }
    const raw = await handle.readFile();
    let end = raw.length;
    while (end > 0 && raw[end - 1] === 0x0a) end--;
    const key = Buffer.from(raw.subarray(0, end).filter((b) => b !== 0));
    raw.fill(0);
    if (key.length === 0) throw new LifeboatError(`The key file ${path} is empty.`, 'Put the passphrase on its first line.');
    return key;
  } finally {
    await handle.close();
  }
}
