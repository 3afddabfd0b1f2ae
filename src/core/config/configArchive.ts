import { constants, promises as fs, Stats } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';

type TarHeader = Partial<tar.Header> & Pick<tar.Header, 'name'>;
import { ArchiveGuard, UnsafeEntry } from '../archive';
import {
  AtomicFile,
  freeName,
  partialStream,
  ensurePrivateDir,
  acquireLock,
  WRITER_OPERATION,
  sweepStalePartials,
  Manifest,
  KIND_FOLDERS,
  timestamp,
} from '../store';
import {
  CancelledError,
  LifeboatError,
  fsError,
  isFsError,
  throwIfAborted,
  OperationOptions,
  WithDefaults,
  withDefaults,
  toolVersion,
  formatBytes,
  formatCount,
  formatCountOf,
  errorText,
} from '../common';
import { withActualComposeFile } from '../stack';
import { HashStream, ParallelGzip } from '../streams';

/** The runbook's monthly config archive. */
export const DEFAULT_CONFIG_PATHS: readonly string[] = [
  'docker-compose.yml',
  '.env',
  '.env.production.SECURE',
  'docker/nginx.conf',
  'backend/alembic/versions/',
];

/** One archived path, as recorded in the manifest (see ConfigManifest). */
export interface ConfigEntryRecord {
  /** POSIX path relative to the workspace folder, no trailing slash. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Bytes of a file; 0 for folders and links. */
  size: number;
  /** Permission bits, `mode & 0o7777`. */
  mode: number;
  /** ISO 8601 UTC in whole seconds: the precision of a tar header. */
  mtime: string;
  sha256?: string;
  /** A symlink's target, as stored. */
  target?: string;
}

/** The manifest of a config archive: the common fields plus what went in and what did not. */
export interface ConfigManifest extends Manifest {
  kind: 'config';
  entries: ConfigEntryRecord[];
  /** Configured paths that did not exist when the archive was made. */
  missing: string[];
}

export interface SkippedPath {
  path: string;
  reason: string;
}

export interface ConfigArchiveOptions extends OperationOptions {
  /** The backup folder; the archive goes to its `config/` subfolder. */
  backupDir: string;
  /** The workspace folder the paths are relative to. */
  workspace: string;
  /** Paths relative to the workspace; folders are archived recursively. Default: the runbook's list. */
  paths?: readonly string[];
  /**
   * Compose project: recorded in the manifest and names the lock (contract 11 in
   * docs/contracts.md).
   */
  project?: string;
  level?: number;
  now?: () => Date;
}

export interface ConfigArchiveResult {
  path: string;
  manifest: ConfigManifest;
  /** Configured paths that do not exist, as given. */
  missing: string[];
  /** Things inside configured folders that were left out, and why (sockets, links leaving the workspace, the backup folder). */
  skipped: SkippedPath[];
}

interface Planned {
  rel: string;
  abs: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
  target?: string;
}

export function configArchiveName(date: Date): string {
  return `config_${timestamp(date)}.tar.gz`;
}

/**
 * Archives the configured paths of a workspace to `config/config_YYYYMMDD_HHMMSS.tar.gz`: tar,
 * streamed file by file through the parallel gzip to a partial name, fsynced, renamed (contract 1
 * in docs/contracts.md), mode 0600 because it holds the `.env` secrets (contract 8 in
 * docs/contracts.md). Nothing outside the workspace goes in, and nothing goes in that Lifeboat's
 * own extraction would refuse.
 */
export async function archiveConfig(options: ConfigArchiveOptions): Promise<ConfigArchiveResult> {
  const opts = withDefaults(options);
  const { logger: log, progress } = opts;
  const started = Date.now();
  throwIfAborted(opts.signal);

  let workspace: string;
  try {
    workspace = await fs.realpath(opts.workspace);
  } catch (err) {
    throw fsError(err, 'read the workspace folder', opts.workspace);
  }
  const configured = (await withActualComposeFile(workspace, opts.paths ?? DEFAULT_CONFIG_PATHS)).map(checkConfigPath);

  const dir = join(opts.backupDir, KIND_FOLDERS.config);
  await ensurePrivateDir(opts.backupDir);
  await ensurePrivateDir(dir);
  const backupReal = await fs.realpath(opts.backupDir);

  progress({ phase: 'Listing config files' });
  const plan = await planArchive(workspace, configured, backupReal, opts.signal);
  if (plan.items.length === 0) {
    throw new LifeboatError(
      `None of the configured config paths exist in ${opts.workspace}: ${configured.map((c) => `"${c.display}"`).join(', ')}.`,
      'Check the paths in the setting lifeboat.config.paths (relative to the workspace folder).',
    );
  }
  for (const s of plan.skipped) log.warn(`Config archive: skipped ${s.path}: ${s.reason}`);

  const lock = await acquireLock(opts.backupDir, opts.project ?? 'config', WRITER_OPERATION.config);
  let file: AtomicFile | undefined;
  try {
    await sweepStalePartials({ backupDir: opts.backupDir, dir, kind: 'config', ownLock: lock.path, logger: log });
    const name = await freeName(dir, configArchiveName, opts.now ?? (() => new Date()), 'config archives');
    const finalPath = join(dir, name);
    file = new AtomicFile(finalPath);
    log.info(
      `Archiving ${formatCountOf(plan.items.length, 'config entry', 'config entries')} (${formatBytes(plan.totalBytes)}) to ${finalPath}`,
    );

    const written = await writeArchive(plan, file.partial, opts);
    await file.commit();

    const manifest: ConfigManifest = {
      formatVersion: 1,
      kind: 'config',
      createdAt: new Date(started).toISOString(),
      tool: { name: 'lifeboat', version: toolVersion },
      source: { project: opts.project },
      compression: { format: 'gzip', level: opts.level ?? 6 },
      file: { name, bytes: written.fileBytes, sha256: written.fileSha256 },
      content: { bytes: written.tarBytes },
      entries: written.entries,
      missing: plan.missing,
      durationMs: Date.now() - started,
      verifications: [],
    };
    await file.writeManifest(manifest, (err) =>
      log.warn(`Config archive kept, but its manifest could not be written: ${(err as Error).message}`),
    );
    log.info(
      `Config archive complete: ${name} (${formatBytes(written.fileBytes)}, ${formatCountOf(written.entries.length, 'entry', 'entries')})`,
    );
    return { path: finalPath, manifest, missing: plan.missing, skipped: plan.skipped };
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    await file?.discard();
    await lock.release();
  }
}

interface ConfigPath {
  display: string;
  rel: string;
}

/** A setting is user input: it must name something inside the workspace, lexically first. */
function checkConfigPath(raw: string): ConfigPath {
  const hint = 'Config paths are relative to the workspace folder, e.g. `docker/nginx.conf`; change the setting lifeboat.config.paths.';
  if (!raw || raw.includes('\0')) throw new LifeboatError(`The config path "${raw}" is empty or invalid.`, hint);
  if (isAbsolute(raw)) throw new LifeboatError(`The config path "${raw}" is absolute; only paths inside the workspace are archived.`, hint);
  const rel = normalize(raw).replace(/[\\/]+$/, '');
  if (rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new LifeboatError(`The config path "${raw}" leaves the workspace folder; only paths inside it are archived.`, hint);
  }
  return { display: raw, rel: rel === '.' ? '' : rel };
}

interface Plan {
  items: Planned[];
  missing: string[];
  skipped: SkippedPath[];
  totalBytes: number;
  files: number;
}

/**
 * Walks the configured paths with lstat, never following a link, into a sorted list. The list
 * is metadata only (a folder of thousands of files is a few hundred kB), and knowing the total
 * first gives the progress bar a denominator.
 */
async function planArchive(workspace: string, configured: ConfigPath[], backupReal: string, signal?: AbortSignal): Promise<Plan> {
  const plan: Plan = { items: [], missing: [], skipped: [], totalBytes: 0, files: 0 };
  const guard = new ArchiveGuard();
  const seen = new Set<string>();

  const visit = async (abs: string, rel: string, st: Stats): Promise<void> => {
    throwIfAborted(signal);
    const posixRel = rel.split(sep).join('/');
    if (seen.has(posixRel)) return;
    seen.add(posixRel);
    if (abs === backupReal) {
      plan.skipped.push({ path: posixRel, reason: 'it is the backup folder' });
      return;
    }
    let item: Planned;
    if (st.isFile()) item = { rel: posixRel, abs, type: 'file', size: st.size };
    else if (st.isDirectory()) item = { rel: posixRel, abs, type: 'directory', size: 0 };
    else if (st.isSymbolicLink()) item = { rel: posixRel, abs, type: 'symlink', size: 0, target: await fs.readlink(abs) };
    else {
      plan.skipped.push({ path: posixRel, reason: 'not a file, folder or symbolic link (a socket, FIFO or device)' });
      return;
    }
    try {
      guard.check(posixRel, item.type, item.target);
    } catch (err) {
      if (!(err instanceof UnsafeEntry)) throw err;
      // A restore would refuse it (contract 9 in docs/contracts.md); keep the rest of the archive
      // restorable.
      plan.skipped.push({ path: posixRel, reason: err.reason });
      return;
    }
    plan.items.push(item);
    if (item.type === 'file') {
      plan.files++;
      plan.totalBytes += item.size;
    }
    if (item.type === 'directory') {
      let names: string[];
      try {
        names = await fs.readdir(abs);
      } catch (err) {
        throw fsError(err, 'read the config folder', abs);
      }
      // Code-unit order (sort's default), not the locale's: the same tree gives the same archive everywhere.
      names.sort();
      for (const n of names) {
        const childAbs = join(abs, n);
        await visit(childAbs, join(rel, n), await lstatOrThrow(childAbs));
      }
    }
  };

  for (const c of configured) {
    const abs = join(workspace, c.rel);
    let st: Stats;
    try {
      st = await fs.lstat(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        plan.missing.push(c.display);
        continue;
      }
      throw fsError(err, 'read the config path', abs);
    }
    // `docker` may be a link to /srv/docker: lexically inside, physically not. The workspace
    // itself (".") is inside by definition; its parent is not.
    const parentReal = await fs.realpath(join(abs, '..'));
    const back = relative(workspace, parentReal);
    if (c.rel !== '' && (back === '..' || back.startsWith(`..${sep}`) || isAbsolute(back))) {
      throw new LifeboatError(
        `The config path "${c.display}" is reached through a symbolic link that leaves the workspace (${parentReal}).`,
        'Only files inside the workspace folder are archived. Change the setting lifeboat.config.paths.',
      );
    }
    if (c.rel === '') {
      // The whole workspace: archive its children, not an entry named "".
      const names = (await fs.readdir(abs)).sort();
      for (const n of names) await visit(join(abs, n), n, await lstatOrThrow(join(abs, n)));
      continue;
    }
    await visit(abs, c.rel, st);
  }
  return plan;
}

async function lstatOrThrow(path: string): Promise<Stats> {
  try {
    return await fs.lstat(path);
  } catch (err) {
    throw fsError(err, 'read the config path', path);
  }
}

interface Written {
  entries: ConfigEntryRecord[];
  fileBytes: number;
  fileSha256: string;
  tarBytes: number;
}

async function writeArchive(plan: Plan, partial: string, opts: WithDefaults<ConfigArchiveOptions>): Promise<Written> {
  const { progress } = opts;
  const pack = tar.pack();
  // Counts the tar's bytes without hashing them: sha256 runs on the main thread, and the
  // files' own hashes plus the archive's already cover every byte.
  let tarBytes = 0;
  const tarCount = new Transform({
    transform(chunk: Buffer, _enc, done) {
      tarBytes += chunk.length;
      done(null, chunk);
    },
  });
  const fileHash = new HashStream();
  // An open that fails (a full disk, a missing folder) fails the pipeline: createWriteStream reports it there, never by throwing.
  const sink = pipeline(pack, tarCount, new ParallelGzip({ level: opts.level ?? 6 }), fileHash, partialStream(partial), {
    signal: opts.signal,
  });
  // Observed below; until then a failure must not count as unhandled.
  sink.catch(() => undefined);

  const entries: ConfigEntryRecord[] = [];
  let filesDone = 0;
  let bytesDone = 0;
  const report = (extra = 0) =>
    progress({
      phase: `Archiving config (${formatCount(filesDone)} of ${formatCountOf(plan.files, 'file')})`,
      bytes: bytesDone + extra,
      total: plan.totalBytes,
    });
  report();
  try {
    for (const item of plan.items) {
      throwIfAborted(opts.signal);
      const record = await addEntry(pack, item, report, opts.signal);
      entries.push(record);
      if (item.type === 'file') {
        filesDone++;
        bytesDone += record.size;
        report();
      }
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await sink.catch(() => undefined);
    throw explain(err, partial, opts.signal);
  }
  try {
    await sink;
  } catch (err) {
    throw explain(err, partial, opts.signal);
  }
  return { entries, fileBytes: fileHash.bytes, fileSha256: fileHash.digest(), tarBytes };
}

function explain(err: unknown, partial: string, signal?: AbortSignal): Error {
  if (signal?.aborted) return new CancelledError();
  if (err instanceof LifeboatError || err instanceof CancelledError) return err;
  if (isFsError(err)) return fsError(err, 'write the config archive', partial);
  return new LifeboatError(`The config archive could not be written: ${errorText(err)}`, undefined, undefined, {
    cause: err,
  });
}

function entryDone(pack: tar.Pack, header: TarHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}

async function addEntry(pack: tar.Pack, item: Planned, report: (extra: number) => void, signal?: AbortSignal): Promise<ConfigEntryRecord> {
  if (item.type !== 'file') {
    const st = await lstatOrThrow(item.abs);
    const mtime = wholeSeconds(st.mtime);
    await entryDone(pack, {
      // The trailing slash is how tar tools tell folders apart at a glance.
      name: item.type === 'directory' ? `${item.rel}/` : item.rel,
      type: item.type,
      mode: st.mode & 0o7777,
      mtime,
      uid: st.uid,
      gid: st.gid,
      linkname: item.target,
    });
    return { path: item.rel, type: item.type, size: 0, mode: st.mode & 0o7777, mtime: mtime.toISOString(), target: item.target };
  }

  // O_NOFOLLOW and an fstat of the opened file: what goes in is what was opened, even if the
  // path was swapped for a link since the walk.
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(item.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new LifeboatError(
        `"${item.rel}" turned into a symbolic link while it was being archived.`,
        'Retry when the files are not being changed.',
      );
    }
    throw fsError(err, 'read the config file', item.abs);
  }
  try {
    const st = await handle.stat();
    const mtime = wholeSeconds(st.mtime);
    const header: TarHeader = { name: item.rel, type: 'file', size: st.size, mode: st.mode & 0o7777, mtime, uid: st.uid, gid: st.gid };
    const hash = new HashStream((bytes) => report(bytes));
    const entry = pack.entry(header);
    if (st.size === 0) {
      entry.end(undefined);
      await new Promise<void>((resolve, reject) => {
        entry.once('finish', resolve);
        entry.once('error', reject);
      });
    } else {
      // `end` caps the read at the size already in the header: a file that grows meanwhile
      // cannot corrupt the tar; one that shrinks fails with a size mismatch below.
      const source = handle.createReadStream({ start: 0, end: st.size - 1, autoClose: false });
      try {
        await pipeline(source, hash, entry, { signal });
      } catch (err) {
        if ((err as Error).message === 'Size mismatch') {
          throw new LifeboatError(`"${item.rel}" shrank while it was being archived.`, 'Retry when the files are not being changed.');
        }
        throw err;
      }
    }
    return {
      path: item.rel,
      type: 'file',
      size: st.size,
      mode: st.mode & 0o7777,
      mtime: mtime.toISOString(),
      sha256: hash.digest(),
    };
  } finally {
    await handle.close();
  }
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
