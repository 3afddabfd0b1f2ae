import { constants, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { ArchiveGuard, GuardedType, UnsafeEntry, shortName } from './archiveGuard';
import {
  errorText,
  CancelledError,
  LifeboatError,
  fsError,
  isFsError,
  throwIfAborted,
  formatBytes,
  formatCountOf,
  silentLogger,
  OperationOptions,
  noProgress,
} from '../common';
import { PRIVATE_DIR, PRIVATE_FILE, readManifest } from '../store';
import { BackupSource, KeyProvider, named, openBackupSource } from '../encryption';
import { CryptoError } from '../crypto';
import { HashStream } from '../streams';
import { tarEntryFacts } from './tarEntryFacts';

/** One entry of an archive, as the archive says it (not as staged). */
export interface ArchiveEntry {
  /** POSIX path relative to the archive root, normalised, no trailing slash. */
  path: string;
  type: GuardedType;
  size: number;
  /** The archive's permission bits (`& 0o7777`); staging does not use them, applyFiles does. */
  mode: number;
  mtime: Date;
  /** Files and hard links: sha256 of the content. */
  sha256?: string;
  /** symlink: the target as stored; link: the archive path it links to. */
  target?: string;
}

/**
 * What staging a config archive may write when its manifest does not say how much to expect
 * (a runbook archive, a missing manifest). Config files are compose files, `.env` files, a
 * proxy config and migration scripts: kilobytes, megabytes for a large migration history. A
 * quarter of a gibibyte leaves room for a project that archives far more, and still stops a
 * gzip bomb (a 10 MiB archive can hold 10 GiB of zeros) long before the temp folder fills.
 */
export const CONFIG_STAGING_MAX_BYTES = 256 * 1024 * 1024;

export interface ExtractOptions extends OperationOptions {
  /** Must not exist yet; created 0700. Default: a fresh folder under the OS temp folder. */
  stagingDir?: string;
  /** The key of an encrypted archive (`.tar.gz.age`, `.tar.gz.enc`), read from its decryption. */
  keys?: KeyProvider;
  /** Most bytes staged in all when the manifest records no sizes. Default CONFIG_STAGING_MAX_BYTES. */
  maxBytes?: number;
}

export interface ExtractResult {
  /** The staging folder; the caller removes it when done (removeStaging). */
  dir: string;
  entries: ArchiveEntry[];
  archiveBytes: number;
  archiveSha256: string;
}

/**
 * Extracts a .tar.gz into a fresh staging folder under contract 9 in docs/contracts.md, in one
 * streaming pass. Every entry is checked by ArchiveGuard before anything is written for it; since
 * the folder starts empty, the archive's own earlier entries are all that can be on the way, so the
 * check is exact. On a refusal, a corrupt archive, a full disk or a cancel, the whole staging
 * folder is removed: nothing half-extracted survives, and nothing was ever written outside it.
 *
 * Staged files are 0600 and folders 0700 whatever the archive says: the staging folder is a
 * private place to review (the archive holds `.env` secrets, and a 0000 or setuid file would
 * be either unreadable for the diff or risky). The archive's modes are returned in `entries`
 * and applyFiles puts them on the workspace copies. Modification times are kept.
 */
export async function safeExtract(archivePath: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  throwIfAborted(opts.signal);
  const source = await openBackupSource(archivePath, { keys: opts.keys, signal: opts.signal });
  let dir: string;
  try {
    dir = await createStaging(opts.stagingDir);
  } catch (err) {
    source.close();
    throw err;
  }
  const writer = new StagingWriter(dir, await stagingBudget(archivePath, opts.maxBytes ?? CONFIG_STAGING_MAX_BYTES));
  try {
    const scanned = await scanArchive(source, opts, writer, 'extract');
    opts.logger?.info(`Extracted ${scanned.entries.length} entries of ${archivePath} to ${dir}`);
    return { dir, ...scanned };
  } catch (err) {
    await removeStaging(dir);
    throw err;
  }
}

/** Lists (and checks) an archive's entries without writing anything. */
export async function readArchiveEntries(archivePath: string, opts: OperationOptions = {}): Promise<Scanned> {
  throwIfAborted(opts.signal);
  return scanArchive(await openBackupSource(archivePath, { signal: opts.signal }), opts, undefined, 'list');
}

/**
 * readArchiveEntries of a source already open (an encrypted archive's decryption): the reading
 * a restore does, minus the writing, so an archive this accepts is one a restore accepts.
 */
export async function readSourceEntries(source: BackupSource, opts: OperationOptions = {}): Promise<Scanned> {
  throwIfAborted(opts.signal);
  return scanArchive(source, opts, undefined, 'list', false);
}

export async function removeStaging(dir: string): Promise<void> {
  // fs.rm removes links themselves, never what they point to.
  await fs.rm(dir, { recursive: true, force: true, maxRetries: 2 }).catch(() => undefined);
}

async function createStaging(stagingDir: string | undefined): Promise<string> {
  try {
    if (!stagingDir) return await fs.mkdtemp(join(tmpdir(), 'lifeboat-staging-'));
    // Not recursive: an existing folder must fail (EEXIST), the guard's exactness depends on it.
    await fs.mkdir(stagingDir, { mode: PRIVATE_DIR });
    await fs.chmod(stagingDir, PRIVATE_DIR);
    return stagingDir;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LifeboatError(
        `The staging folder ${stagingDir} already exists; archives are only extracted into a new, empty folder.`,
        'Remove it or choose another staging folder, then retry.',
      );
    }
    // fsError's advice is the backup folder's; the staging folder lives in the temp folder.
    throw new LifeboatError(fsError(err, 'create the staging folder', stagingDir ?? tmpdir()).message, STAGING_HINT, undefined, {
      cause: err,
    });
  }
}

/**
 * How much staging may write: per entry and in all from a manifest that lists the archive's
 * entries (Lifeboat made it, so a file larger than recorded was not), else the total cap alone.
 */
interface StagingBudget {
  total: number;
  perEntry?: Map<string, number>;
  /** Where the limit comes from, for the refusal to say. */
  source: 'manifest' | 'cap';
}

async function stagingBudget(archivePath: string, cap: number): Promise<StagingBudget> {
  const { manifest } = await readManifest(archivePath);
  const recorded = (manifest as { entries?: unknown } | undefined)?.entries;
  if (!Array.isArray(recorded) || recorded.length === 0) return { total: cap, source: 'cap' };
  const perEntry = new Map<string, number>();
  for (const e of recorded as { path?: unknown; size?: unknown }[]) {
    // A manifest that cannot be read as sizes gives no limit of its own; the cap still holds.
    if (typeof e?.path !== 'string' || typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0)
      return { total: cap, source: 'cap' };
    perEntry.set(e.path, e.size);
  }
  return { total: [...perEntry.values()].reduce((a, n) => a + n, 0), perEntry, source: 'manifest' };
}

function tooLarge(archivePath: string, detail: string, budget: StagingBudget): LifeboatError {
  return new LifeboatError(
    `Refused to extract ${archivePath}: ${detail}. Nothing was kept: the staging folder was removed.`,
    budget.source === 'manifest'
      ? 'The archive does not match its manifest: it was changed or replaced after it was made. Choose another backup, or inspect it with `tar -tvzf`.'
      : `Config archives hold small files, so staging stops at ${formatBytes(budget.total)} to keep a damaged or hostile archive (a gzip bomb) from filling the disk. Inspect it with \`tar -tvzf\`; if its files really are that large, extract it by hand.`,
  );
}

/** Writes checked entries below the staging folder within a budget; knows nothing about the rules. */
class StagingWriter {
  private readonly dirTimes: { path: string; mtime: Date }[] = [];
  private staged = 0;

  constructor(
    readonly root: string,
    private readonly budget: StagingBudget = { total: Infinity, source: 'cap' },
  ) {}

  /**
   * Refuses a file before anything of it is written, from its header; `counted` then holds
   * the stream to the same limit, so a header that understates its data cannot pass either.
   */
  private limitFor(rel: string, declared: number, archivePath: string): number {
    const recorded = this.budget.perEntry?.get(rel);
    if (this.budget.perEntry && recorded !== undefined && declared > recorded) {
      throw tooLarge(
        archivePath,
        `the entry "${shortName(rel)}" holds ${formatBytes(declared)}, more than the ${formatBytes(recorded)} its manifest records`,
        this.budget,
      );
    }
    const left = this.budget.total - this.staged;
    if (declared > left) {
      throw tooLarge(
        archivePath,
        this.budget.source === 'manifest'
          ? `its files would take more than the ${formatBytes(this.budget.total)} its manifest records (at "${shortName(rel)}", ${formatBytes(declared)})`
          : `its files would take more than ${formatBytes(this.budget.total)} (at "${shortName(rel)}", ${formatBytes(declared)}), far more than config files do`,
        this.budget,
      );
    }
    return Math.min(left, recorded ?? left);
  }

  private counted(rel: string, limit: number, archivePath: string): Transform {
    let seen = 0;
    return new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        seen += chunk.length;
        this.staged += chunk.length;
        if (seen > limit)
          return done(
            tooLarge(
              archivePath,
              `the entry "${shortName(rel)}" holds more data than its header or the limit of ${formatBytes(limit)} allows`,
              this.budget,
            ),
          );
        done(null, chunk);
      },
    });
  }

  async directory(rel: string, exists: boolean, mtime: Date): Promise<void> {
    if (!exists) await fs.mkdir(join(this.root, rel), { mode: PRIVATE_DIR });
    // Set at the end: creating children changes a folder's mtime.
    this.dirTimes.push({ path: rel, mtime });
  }

  async parents(rels: string[]): Promise<void> {
    for (const rel of rels) await fs.mkdir(join(this.root, rel), { mode: PRIVATE_DIR });
  }

  async file(
    rel: string,
    declared: number,
    archivePath: string,
    replaces: boolean,
    source: NodeJS.ReadableStream,
    mtime: Date,
    signal?: AbortSignal,
  ): Promise<string> {
    const limit = this.limitFor(rel, declared, archivePath);
    const abs = join(this.root, rel);
    // A replaced path may be hard-linked elsewhere in staging: unlink, never write through.
    if (replaces) await fs.unlink(abs);
    const hash = new HashStream();
    // O_EXCL | O_NOFOLLOW: never write through anything that is already there.
    const handle = await fs.open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PRIVATE_FILE);
    try {
      // The write stream closes the handle when it finishes; `finally` covers a failure first.
      await pipeline(source, this.counted(rel, limit, archivePath), hash, handle.createWriteStream(), { signal });
    } finally {
      await handle.close().catch(() => undefined);
    }
    await fs.utimes(abs, mtime, mtime);
    return hash.digest();
  }

  async symlink(rel: string, target: string, mtime: Date): Promise<void> {
    const abs = join(this.root, rel);
    await fs.symlink(target, abs);
    await fs.lutimes(abs, mtime, mtime).catch(() => undefined);
  }

  async hardlink(rel: string, target: string, replaces: boolean): Promise<void> {
    // As tar does, a later entry replaces an earlier one of the same path: the guard allows a
    // link over a file, and the old name's inode may be shared, so it is unlinked, not written.
    if (replaces) await fs.unlink(join(this.root, rel));
    await fs.link(join(this.root, target), join(this.root, rel));
  }

  async finish(): Promise<void> {
    for (const { path, mtime } of this.dirTimes.reverse()) await fs.utimes(join(this.root, path), mtime, mtime);
  }
}

export interface Scanned {
  entries: ArchiveEntry[];
  archiveBytes: number;
  archiveSha256: string;
}

/**
 * Reads `source` whole under contract 9 in docs/contracts.md, writing each entry through `writer`
 * when there is one. An encrypted archive streams from its decryption; only the staged files
 * (private, and removed after the review) are ever plaintext on disk. The source is closed at the
 * end unless `close` is false.
 */
async function scanArchive(
  source: BackupSource,
  opts: OperationOptions,
  writer: StagingWriter | undefined,
  verb: 'extract' | 'list',
  close = true,
): Promise<Scanned> {
  const archivePath = source.path;
  const progress = opts.progress ?? noProgress;
  const log = opts.logger ?? silentLogger;
  const total = source.fileBytes;

  const phase = verb === 'extract' ? 'Extracting' : 'Reading';
  const raw = new HashStream((bytes) => progress({ phase, bytes, total }));
  // tar-stream accepts a tar cut at an entry boundary as complete; counting the tar's bytes
  // lets the end-of-archive blocks be checked below.
  let tarBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      tarBytes += chunk.length;
      done(null, chunk);
    },
  });
  const extract = tar.extract();
  const factsOf = tarEntryFacts(extract);
  const feed = pipeline(source.open(opts.signal), raw, createGunzip(), counter, extract, { signal: opts.signal });
  feed.catch(() => undefined);

  const guard = new ArchiveGuard();
  const entries: ArchiveEntry[] = [];
  const hashes = new Map<string, string>();
  const sizes = new Map<string, number>();
  let lastEnd = 0;
  /** The entry being written, for an error of the file system to name. */
  let writing: string | undefined;
  try {
    for await (const entry of extract) {
      throwIfAborted(opts.signal);
      const h = entry.header;
      writing = h.name;
      // tar-stream reads no data for a folder, whatever its size field says. It decodes every
      // header field (3.2.2, pinned), though its type marks them optional: hence the `!`s.
      const dataOffset = (h as unknown as { byteOffset: number }).byteOffset;
      lastEnd = dataOffset + (h.type === 'directory' ? 0 : roundUp512(h.size!));
      const checked = guard.checkHeader(factsOf(h));
      if (!checked) {
        entry.resume();
        continue;
      }
      const record: ArchiveEntry = {
        path: checked.path,
        type: checked.type,
        size: checked.type === 'file' ? h.size! : 0,
        mode: h.mode! & 0o7777,
        mtime: h.mtime!,
        target: checked.target,
      };
      // Piped into a Node stream before the first await: a truncated archive can destroy the
      // entry while the staging file is being opened, and Node's pipeline would then wait
      // forever on the already-destroyed tar-stream entry.
      let body: PassThrough | undefined;
      if (checked.type === 'file') {
        body = new PassThrough();
        pipeline(entry as unknown as NodeJS.ReadableStream, body).catch((err) => body!.destroy(err));
      } else {
        entry.resume();
      }
      if (writer) await writer.parents(checked.newParents);
      switch (checked.type) {
        case 'file':
          if (writer)
            record.sha256 = await writer.file(checked.path, record.size, archivePath, checked.existed, body!, record.mtime, opts.signal);
          else {
            const hash = new HashStream();
            // The hash must be drained: a Transform with no reader stalls after 16 KiB.
            await pipeline(body!, hash, discard(), { signal: opts.signal });
            record.sha256 = hash.digest();
          }
          break;
        case 'directory':
          if (writer) await writer.directory(checked.path, checked.existed, record.mtime);
          break;
        case 'symlink':
          if (writer) await writer.symlink(checked.path, checked.target!, record.mtime);
          break;
        case 'link':
          // A hard link is its target's content: same hash, same size.
          record.sha256 = hashes.get(checked.target!);
          // The guard accepts a hard link only to an entry earlier in the archive, whose size is recorded.
          record.size = sizes.get(checked.target!)!;
          if (writer) await writer.hardlink(checked.path, checked.target!, checked.existed);
          break;
      }
      if (record.sha256) hashes.set(record.path, record.sha256);
      sizes.set(record.path, record.size);
      entries.push(record);
    }
    writing = undefined;
    await feed;
    writing = "the folders' modification times";
    await writer?.finish();
  } catch (err) {
    extract.destroy();
    await feed.catch(() => undefined);
    throw explain(err, archivePath, verb, opts.signal, writer && writing !== undefined ? { dir: writer.root, entry: writing } : undefined);
  } finally {
    if (close) source.close();
  }
  if (tarBytes - lastEnd < 512) {
    log.warn(`${archivePath}: tar ends after ${formatCountOf(tarBytes, 'byte')} without its end-of-archive blocks.`);
    throw corrupt(archivePath, verb, 'it ends without the end-of-archive marker');
  }
  return { entries, archiveBytes: raw.bytes, archiveSha256: raw.digest() };
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

function roundUp512(n: number): number {
  return Math.ceil(n / 512) * 512;
}

function explain(
  err: unknown,
  archivePath: string,
  verb: 'extract' | 'list',
  signal?: AbortSignal,
  staging?: { dir: string; entry: string },
): Error {
  if (signal?.aborted || err instanceof CancelledError) return new CancelledError();
  if (err instanceof UnsafeEntry) {
    return new LifeboatError(
      verb === 'extract'
        ? `Refused to extract ${archivePath}: the entry ${err.message}. Nothing was written outside the staging folder, and the staging folder was removed.`
        : `The archive ${archivePath} is unsafe: the entry ${err.message}.`,
      'This archive was not made by Lifeboat or was tampered with. Inspect it with `tar -tvzf`; do not extract it by hand.',
    );
  }
  if (err instanceof CryptoError) return named(err, basename(archivePath));
  if (err instanceof LifeboatError) return err;
  if (isFsError(err)) {
    if (staging) return stagingError(err, archivePath, staging.dir, staging.entry);
    return fsError(err, verb === 'extract' ? 'extract the archive into the staging folder' : 'read the archive', archivePath);
  }
  return corrupt(archivePath, verb, errorText(err), err);
}

/**
 * A write into the staging folder failed. The staging folder is private and temporary, so the
 * backup folder setting has nothing to do with it: the way out is room or rights in the temp
 * folder, or, for anything else, an entry this system cannot create.
 */
const STAGING_HINT =
  'The staging folder is made under the system temp folder: make that writable, with free space (or point TMPDIR at one that is), then retry.';

function stagingError(err: NodeJS.ErrnoException, archivePath: string, dir: string, entry: string): LifeboatError {
  const what = `"${shortName(entry)}" of ${archivePath}`;
  const gone = 'Nothing was kept: the staging folder was removed.';
  switch (err.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new LifeboatError(
        `The disk holding the staging folder ${dir} is full (${err.code}) while extracting ${what}. ${gone}`,
        'Free some space there (the staging folder is under the system temp folder; TMPDIR chooses another), then retry.',
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new LifeboatError(
        `Cannot write ${what} into the staging folder ${dir} (${err.code}). ${gone}`,
        'Make the system temp folder writable (or point TMPDIR at one that is), then retry.',
      );
    default:
      return new LifeboatError(
        `Cannot extract ${what} into the staging folder (${err.code}: ${err.message}). ${gone}`,
        'This system cannot create that entry as the archive describes it. Inspect it with `tar -tvzf`, or choose another backup.',
      );
  }
}

function corrupt(archivePath: string, verb: 'extract' | 'list', detail: string, cause?: unknown): LifeboatError {
  return new LifeboatError(
    `The archive ${archivePath} is truncated or corrupt (${detail}).` +
      (verb === 'extract' ? ' Nothing was kept: the staging folder was removed.' : ''),
    'Check it against its manifest (sha256), or choose another backup.',
    undefined,
    { cause },
  );
}
