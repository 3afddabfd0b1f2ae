import { createReadStream, promises as fs } from 'node:fs';
import { Readable, Transform, TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { ArchiveGuard, UnsafeEntry, tarEntryFacts } from '../archive';
import { CancelledError, LifeboatError, fsError, isFsError, throwIfAborted, OperationOptions, noProgress } from '../common';
import { HashStream, inflater } from '../streams';

/** Owner and permission bits of the volume's root folder, from the archive's `./` entry. */
export interface VolumeRoot {
  uid: number;
  gid: number;
  /** `mode & 0o7777`. */
  mode: number;
}

/** A top-level restore folder (group 1) or something inside it (group 2). */
const LEFTOVER_ENTRY = /^(?:\.\/)?(\.lifeboat-(?:restore|safety|recreate)-[A-Za-z0-9]+)(?:\/?$|\/(.+))/;

/** `./name` or `name`, with at most a trailing slash: an entry at the top of the volume (not the root). */
const TOP_LEVEL_ENTRY = /^(?:\.\/)?(?!\.\/?$)[^/]+\/?$/;

export interface VolumeTarFacts {
  /** Every tar entry, the root `./` included. */
  entries: number;
  files: number;
  /** Sum of the regular files' sizes: the data the volume holds. */
  dataBytes: number;
  /** The uncompressed tar's length. */
  tarBytes: number;
  root?: VolumeRoot;
  /** With `guard: 'note'`: why the first unsafe entry would be refused by a restore. */
  unsafe?: string;
  /** Folders an interrupted restore left at the top (see volumeLeftovers), and the entries in each. */
  leftovers?: Record<string, number>;
  /** Entries at the top of the volume other than the root and the restore's own folders. */
  topLevel: number;
}

/**
 * Passes a tar stream through unchanged while parsing it on the way (tar-stream): entry count, file
 * bytes, the root's owner and mode, and, when `guard` is set, the rules of contract 9 in
 * docs/contracts.md for every entry. Backpressure holds: a chunk is passed on only after the parser
 * took it. The parse also proves the tar is whole: a stream cut short fails here, not at restore
 * time.
 */
export class VolumeTarScan extends Transform {
  readonly facts: VolumeTarFacts = { entries: 0, files: 0, dataBytes: 0, tarBytes: 0, topLevel: 0 };
  private readonly onBytes?: (tarBytes: number) => void;
  private readonly extract = tar.extract();
  private readonly factsOf = tarEntryFacts(this.extract);
  private guard?: ArchiveGuard;
  private readonly guardMode?: 'refuse' | 'note';
  private failure?: Error;
  private lastEnd = 0;

  /**
   * `guard: 'refuse'` fails the stream at the first unsafe entry (restores); `'note'` only
   * records it (snapshots: a volume may hold such a link, and the copy is still worth having).
   */
  constructor(opts: { guard?: 'refuse' | 'note'; onBytes?: (tarBytes: number) => void } = {}) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    this.onBytes = opts.onBytes;
    this.guardMode = opts.guard;
    if (opts.guard) this.guard = new ArchiveGuard();
    this.extract.on('entry', (h, body, next) => {
      // A destroyed parser destroys the entry too; its error is reported through the parser.
      body.on('error', () => undefined);
      try {
        this.onEntry(h);
      } catch (err) {
        this.failure ??= err as Error;
        this.extract.destroy(err as Error);
        return;
      }
      body.resume();
      // tar-stream never ends a folder's body when its header declares a size; it reads no data
      // for a folder anyway, so there is nothing to wait for.
      if (h.type === 'directory') next();
      else body.on('end', () => next());
    });
    this.extract.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  private onEntry(h: tar.Header): void {
    this.facts.entries++;
    // tar-stream decodes every header field (3.2.2, pinned), though its type marks them optional.
    const dataOffset = (h as unknown as { byteOffset: number }).byteOffset;
    this.lastEnd = dataOffset + (h.type === 'directory' ? 0 : Math.ceil(h.size! / 512) * 512);
    if (h.type === 'file' || h.type === 'contiguous-file') {
      this.facts.files++;
      this.facts.dataBytes += h.size!;
    }
    const left = LEFTOVER_ENTRY.exec(h.name);
    if (!left && TOP_LEVEL_ENTRY.test(h.name)) this.facts.topLevel++;
    if (left) {
      const counts = (this.facts.leftovers ??= {});
      counts[left[1]] = (counts[left[1]] ?? 0) + (left[2] ? 1 : 0);
    }
    // `tar -C dir .` and Docker's getArchive of `dir/.` both name the root `./` (or `.`).
    if (h.type === 'directory' && /^\.?\/?$/.test(h.name) && !this.facts.root) {
      this.facts.root = { uid: h.uid!, gid: h.gid!, mode: h.mode! & 0o7777 };
    }
    if (!this.guard) return;
    try {
      this.guard.checkHeader(this.factsOf(h));
    } catch (err) {
      if (this.guardMode === 'refuse' || !(err instanceof UnsafeEntry)) throw err;
      this.facts.unsafe = err.message;
      // The guard's picture of the tree is incomplete from here on: stop checking.
      this.guard = undefined;
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.failure) return done(this.failure);
    this.facts.tarBytes += chunk.length;
    // Progress last: a progress callback may cancel, which destroys this stream synchronously.
    const pass = () => {
      if (this.destroyed) return;
      if (this.failure) return done(this.failure);
      done(null, chunk);
      this.onBytes?.(this.facts.tarBytes);
    };
    if (this.extract.write(chunk)) return pass();
    void this.waitFor('drain').then(pass);
  }

  override _flush(done: TransformCallback): void {
    if (this.failure) return done(this.failure);
    this.extract.end(undefined);
    void this.waitFor('finish').then(() => {
      if (this.destroyed) return;
      if (this.failure) return done(this.failure);
      // tar-stream accepts a tar cut at an entry boundary; the end-of-archive blocks prove it whole.
      if (this.facts.tarBytes - this.lastEnd < 512) return done(new TarTruncated('it ends without the end-of-archive marker'));
      done();
    });
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.extract.destroy();
    done(err);
  }

  /** Resolves on `event`, or when the parser closes or fails (then `failure` says why). */
  private waitFor(event: 'drain' | 'finish'): Promise<void> {
    return new Promise((resolve) => {
      const settle = () => {
        this.extract.off(event, settle);
        this.extract.off('close', settle);
        resolve();
      };
      this.extract.on(event, settle);
      this.extract.on('close', settle);
    });
  }
}

export class TarTruncated extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'TarTruncated';
  }
}

export interface CheckedVolumeArchive extends VolumeTarFacts {
  fileBytes: number;
  fileSha256: string;
}

/**
 * Reads a snapshot whole before anything is touched: gzip and tar integrity, the sha256 and size
 * (compared with the manifest by the caller), and every entry against contract 9 in
 * docs/contracts.md.
 */
export async function checkVolumeArchive(
  path: string,
  /** `open`: the archive's bytes from elsewhere than the file (an encrypted snapshot's decryption). */
  opts: OperationOptions & { purpose?: 'restore' | 'verify'; open?: (signal?: AbortSignal) => Readable } = {},
): Promise<CheckedVolumeArchive> {
  throwIfAborted(opts.signal);
  const progress = opts.progress ?? noProgress;
  let total: number;
  try {
    total = (await fs.stat(path)).size;
  } catch (err) {
    throw fsError(err, 'read the snapshot', path);
  }
  const hash = new HashStream((bytes) => progress({ phase: 'Checking the snapshot', bytes, total }));
  const scan = new VolumeTarScan({ guard: 'refuse' });
  const sink = new Writable({ write: (_c, _e, done) => done() });
  try {
    await pipeline(opts.open?.(opts.signal) ?? createReadStream(path, { highWaterMark: 1 << 20 }), hash, inflater(), scan, sink, {
      signal: opts.signal,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    throw explainArchive(err, path, opts.purpose);
  }
  return { ...scan.facts, fileBytes: hash.bytes, fileSha256: hash.digest() };
}

export function explainArchive(err: unknown, path: string, purpose: 'restore' | 'verify' = 'restore'): Error {
  if (err instanceof UnsafeEntry && purpose === 'verify') {
    return new LifeboatError(
      `${path} holds an entry a restore would refuse: ${err.message}.`,
      'This snapshot was not made by Lifeboat or was tampered with. Inspect it with `tar -tvzf`; do not restore it by hand.',
    );
  }
  if (err instanceof UnsafeEntry) {
    return new LifeboatError(
      `Refused to restore ${path}: the entry ${err.message}. Nothing was changed.`,
      'This snapshot was not made by Lifeboat or was tampered with. Inspect it with `tar -tvzf`; do not restore it by hand.',
    );
  }
  if (err instanceof LifeboatError) return err;
  if (isFsError(err)) return fsError(err, 'read the snapshot', path);
  return new LifeboatError(
    `The snapshot ${path} is truncated or corrupt (${(err as Error)?.message ?? String(err)}).${purpose === 'restore' ? ' Nothing was changed.' : ''}`,
    'Verify it against its manifest, or choose another snapshot.',
    undefined,
    { cause: err },
  );
}
