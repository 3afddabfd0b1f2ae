import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LifeboatError, fsError } from '../common';
import { fsyncDir, fsyncPath, removeQuietly, PRIVATE_FILE } from './fsSafe';
import { Manifest, writeManifest } from './manifest';
import { partialName } from './naming';

/**
 * One file written under contract 1, the way every backup writer does it: the data goes to
 * `.<name>.partial` (the name partials.ts sweeps after a kill -9), is fsynced, renamed to its
 * final name, and the folder is fsynced so the rename survives a power cut; the manifest is
 * written only once the data has its final name. Until `commit()`, `discard()` removes the
 * partial, so a failure or a cancel never leaves anything under the final name.
 */
export class AtomicFile {
  readonly partial: string;
  private synced = false;
  private owned = true;
  private committed = false;

  constructor(readonly path: string) {
    this.partial = partialPathOf(path);
  }

  /** The partial opened for writing; a stream error surfaces when it is written to. */
  stream(): WriteStream {
    this.out = partialStream(this.partial);
    return this.out;
  }

  /** Set by `stream()`, whose file may still be opening when a failed pipeline ends. */
  private out?: WriteStream;

  /**
   * The partial opened and known to be ours. One that exists already belongs to a run in
   * progress (or a crash) and is left alone: `discard()` will not remove it.
   */
  async open(): Promise<WriteStream> {
    try {
      return await openPartial(this.partial);
    } catch (err) {
      this.owned = false;
      throw err;
    }
  }

  /** Puts the partial's data on disk; writers that read it back first call this before checking. */
  async sync(): Promise<void> {
    await fsyncPath(this.partial);
    this.synced = true;
  }

  /** Gives the data its final name: fsync (unless done), rename, fsync the folder. */
  async commit(): Promise<void> {
    if (!this.synced) await this.sync();
    await fs.rename(this.partial, this.path);
    this.committed = true;
    await fsyncDir(dirname(this.path));
  }

  /**
   * The manifest of the committed file. The data is complete and checked already, so a manifest
   * that cannot be written costs only metadata: `onFailure` says so, and false is returned.
   */
  async writeManifest(manifest: Manifest, onFailure: (err: unknown) => void): Promise<boolean> {
    if (!this.committed) throw new Error(`The manifest of ${this.path} comes after its data.`);
    try {
      await writeManifest(this.path, manifest);
      return true;
    } catch (err) {
      onFailure(err);
      return false;
    }
  }

  /** Removes the partial unless it was committed or was never ours; safe to call in any `finally`. */
  async discard(): Promise<void> {
    if (this.committed || !this.owned) return;
    // A stream destroyed before its open finished still creates the file, and closes it after:
    // removed before that, the partial would come back.
    const out = this.out;
    if (out && !out.closed) {
      const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
      out.destroy();
      await closed;
    }
    await removeQuietly(this.partial);
  }
}

export function partialPathOf(finalPath: string): string {
  return join(dirname(finalPath), partialName(basename(finalPath)));
}

/** `wx`: never writes over another run's partial. */
export function partialStream(partial: string): WriteStream {
  return createWriteStream(partial, { flags: 'wx', mode: PRIVATE_FILE });
}

/** Opens a partial and waits until it is open, so a partial that exists is reported as such. */
export async function openPartial(partial: string): Promise<WriteStream> {
  const out = partialStream(partial);
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LifeboatError(
        `"${basename(partial)}" already exists: another Lifeboat operation is writing this file, or an earlier one was interrupted.`,
        `If none is running, delete ${partial} and retry.`,
        undefined,
        { cause: err },
      );
    }
    throw fsError(err, 'write', partial);
  });
  return out;
}

/**
 * A name in `dir` not taken yet: names carry seconds, so two files made within one second get
 * consecutive seconds. `what` names the files in the error (e.g. "backups").
 */
export async function freeName(dir: string, nameAt: (time: Date) => string, now: () => Date, what: string): Promise<string> {
  const t = now();
  for (let i = 0; i < 60; i++) {
    const name = nameAt(new Date(t.getTime() + i * 1000));
    try {
      await fs.access(join(dir, name));
    } catch {
      return name;
    }
  }
  throw new LifeboatError(`Too many ${what} named for ${t.toISOString()} in ${dir}.`);
}
