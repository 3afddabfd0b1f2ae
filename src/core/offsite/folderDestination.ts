import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { LifeboatError, errorText } from '../common';
import { PRIVATE_DIR, PRIVATE_FILE, fsyncDir, fsyncPath, removeQuietly, partialName } from '../store';
import type { Destination, PendingWrite, RemoteEntry } from './destination';

/**
 * A folder on a mounted NAS or USB disk. Writes go to `.<name>.partial` beside the final name
 * and are renamed into place, the same rule as the local backup folder (contract 1).
 */
export class FolderDestination implements Destination {
  constructor(readonly root: string) {}

  describe(): string {
    return `the folder ${this.root}`;
  }

  /** The root must exist: a NAS that is not mounted must not be filled in as an empty local folder. */
  async check(): Promise<void> {
    const st = await fs.stat(this.root).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        throw new LifeboatError(
          `The off-site folder ${this.root} does not exist.`,
          'Mount the disk or share, or correct the setting lifeboat.offsite.destination. Lifeboat does not create it, so that an unmounted disk is not mistaken for an empty one.',
        );
      }
      throw folderError(err, 'open the off-site folder', this.root);
    });
    if (!st.isDirectory())
      throw new LifeboatError(
        `The off-site destination ${this.root} is not a folder.`,
        'Correct the setting lifeboat.offsite.destination.',
      );
  }

  private full(path: string): string {
    const clean = posix.normalize(path);
    if (clean.startsWith('../') || clean === '..' || posix.isAbsolute(clean)) {
      throw new LifeboatError(`The off-site path "${path}" leaves the destination folder.`, 'This is a bug in Lifeboat; please report it.');
    }
    return join(this.root, ...clean.split('/'));
  }

  async list(prefix: string): Promise<RemoteEntry[]> {
    const dir = this.full(prefix || '.');
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw folderError(err, 'list the off-site folder', dir);
    }
    const out: RemoteEntry[] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue; // Partial writes and hidden files are not copies.
      const rel = prefix ? posix.join(prefix, name) : name;
      const entry = await this.stat(rel);
      if (entry) out.push(entry);
    }
    return out;
  }

  async stat(path: string): Promise<RemoteEntry | undefined> {
    try {
      const st = await fs.stat(this.full(path));
      return st.isFile() ? { path, bytes: st.size, modified: st.mtime } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw folderError(err, 'read the off-site folder', this.full(path));
    }
  }

  async read(path: string): Promise<Readable> {
    return openRead(this.full(path));
  }

  async write(path: string): Promise<PendingWrite> {
    const final = this.full(path);
    const dir = dirname(final);
    try {
      await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
    } catch (err) {
      throw folderError(err, 'create the off-site folder', dir);
    }
    const partial = join(dir, partialName(final.slice(dir.length + sep.length)));
    // 'w', not 'wx': a partial left by a killed run is ours to replace, it never counted.
    const stream = createWriteStream(partial, { flags: 'w', mode: PRIVATE_FILE });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    }).catch((err) => {
      throw folderError(err, 'write the off-site copy', partial);
    });
    let done = false;
    return {
      stream,
      readBack: async () => {
        await fsyncPath(partial);
        return openRead(partial);
      },
      commit: async () => {
        await fs.rename(partial, final);
        done = true;
        await fsyncDir(dir);
      },
      abort: async () => {
        if (done) return;
        stream.destroy();
        await removeQuietly(partial);
      },
    };
  }

  async remove(path: string): Promise<void> {
    await removeQuietly(this.full(path));
  }
}

async function openRead(file: string): Promise<Readable> {
  const stream = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).catch((err) => {
    throw folderError(err, 'read the off-site copy', file);
  });
  return stream;
}

/** Like fsError, but the way out is the off-site setting, not the local backup folder's. */
function folderError(err: unknown, action: string, path: string): LifeboatError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const e = new LifeboatError(
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `The off-site disk holding ${path} is full (${code}): could not ${action}.`
      : `Cannot ${action} (${path}): ${errorText(err)}`,
    'Check the disk or share behind lifeboat.offsite.destination (mounted, writable, with free space), or point the setting elsewhere.',
  );
  (e as { code?: string }).code = code;
  return e;
}
