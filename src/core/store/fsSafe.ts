import { promises as fs, constants } from 'node:fs';
import { dirname } from 'node:path';
import { fsError } from '../common';

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/** Creates the folder (and parents) and keeps it private: backups hold data and secrets. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
    const st = await fs.stat(dir);
    if ((st.mode & 0o777) !== PRIVATE_DIR) await fs.chmod(dir, PRIVATE_DIR);
  } catch (err) {
    throw fsError(err, 'create the backup folder', dir);
  }
}

export async function fsyncPath(path: string, flags = constants.O_RDONLY): Promise<void> {
  const handle = await fs.open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename durable: the directory entry must reach the disk too. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir);
  } catch (err) {
    // Some file systems refuse fsync on directories (EINVAL); the data itself is synced.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
  }
}

/** Writes a small file through a temporary name, so readers see all of it or nothing. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, data, { mode: PRIVATE_FILE, flush: true });
    await fs.rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw fsError(err, 'write', path);
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await fs.rm(path, { force: true }).catch(() => undefined);
}

/** The first `bytes` bytes of a file (fewer when it is shorter): enough to tell its format. */
export async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
