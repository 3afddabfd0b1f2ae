import { randomBytes } from 'node:crypto';
import { constants, createReadStream, promises as fs, Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MAX_NAME_BYTES, archivePathComponents } from '../archive';
import type { ArchiveEntry } from '../archive';
import { CancelledError, LifeboatError, fsError, throwIfAborted, OperationOptions, noProgress } from '../common';
import { fsyncDir, fsyncPath, PRIVATE_FILE } from '../store';
import { HashStream } from '../streams';

export type ComparisonStatus = 'changed' | 'new' | 'identical';

export interface FileComparison {
  path: string;
  type: 'file' | 'symlink';
  status: ComparisonStatus;
  /** What differs when `changed`. */
  reason?: 'content' | 'mode' | 'type' | 'target';
  archiveSize: number;
  workspaceSize?: number;
  archiveMode: number;
  workspaceMode?: number;
}

export interface AppliedFile {
  path: string;
  action: 'created' | 'replaced';
  /** Where the replaced workspace copy was kept. */
  backup?: string;
}

/**
 * Compares each staged file and link with the workspace copy: `new` when the workspace has
 * none, `changed` (content, mode, type or link target), or `identical`. Contents are
 * compared by sha256, streamed, so a large file costs time, not memory.
 */
export async function compareWithWorkspace(
  stagingDir: string,
  workspace: string,
  entries: readonly ArchiveEntry[],
  opts: OperationOptions = {},
): Promise<FileComparison[]> {
  const ws = await realWorkspace(workspace);
  const out: FileComparison[] = [];
  for (const entry of entries) {
    if (entry.type === 'directory') continue;
    throwIfAborted(opts.signal);
    const type = entry.type === 'symlink' ? 'symlink' : 'file';
    const base = { path: entry.path, type, archiveSize: entry.size, archiveMode: entry.mode } as const;
    const dest = await workspacePath(ws, entry.path);
    const st = await lstatOrUndefined(dest);
    if (!st) {
      out.push({ ...base, status: 'new' });
      continue;
    }
    const theirs = { workspaceSize: st.isFile() ? st.size : undefined, workspaceMode: st.mode & 0o7777 };
    if (type === 'symlink') {
      if (!st.isSymbolicLink()) out.push({ ...base, ...theirs, status: 'changed', reason: 'type' });
      else if ((await fs.readlink(dest)) !== entry.target) out.push({ ...base, ...theirs, status: 'changed', reason: 'target' });
      else out.push({ ...base, ...theirs, status: 'identical' });
      continue;
    }
    if (!st.isFile()) {
      out.push({ ...base, ...theirs, status: 'changed', reason: 'type' });
      continue;
    }
    const archived = entry.sha256 ?? (await sha256Of(join(stagingDir, entry.path), opts.signal));
    if (st.size !== entry.size || (await sha256Of(dest, opts.signal)) !== archived) {
      out.push({ ...base, ...theirs, status: 'changed', reason: 'content' });
    } else if ((st.mode & 0o777) !== (entry.mode & 0o777)) {
      out.push({ ...base, ...theirs, status: 'changed', reason: 'mode' });
    } else {
      out.push({ ...base, ...theirs, status: 'identical' });
    }
  }
  return out;
}

/**
 * Copies the chosen staged files into the workspace. Each one is written to a temporary name
 * next to its destination, fsynced, given the archive's mode (without setuid/setgid/sticky)
 * and mtime, then renamed over the destination, so a reader sees the old file or the new one,
 * never half of one. A file it replaces is kept first as `<name>.bak` (`.bak.1`, `.bak.2`…
 * when taken), as a hard link where the file system allows, which costs no copy. Every path
 * is checked before the first write; a later failure names the files already applied.
 */
export async function applyFiles(
  stagingDir: string,
  workspace: string,
  paths: readonly string[],
  entries: readonly ArchiveEntry[],
  opts: OperationOptions = {},
): Promise<AppliedFile[]> {
  const progress = opts.progress ?? noProgress;
  const ws = await realWorkspace(workspace);
  const byPath = new Map(entries.map((e) => [e.path, e]));

  const plan: { entry: ArchiveEntry; dest: string }[] = [];
  for (const raw of paths) {
    const comps = archivePathComponents(raw);
    if (typeof comps === 'string' || comps.length === 0) {
      throw new LifeboatError(
        `Refused to apply "${raw}": it ${typeof comps === 'string' ? comps : 'is empty'}; only paths inside the workspace are restored.`,
      );
    }
    const entry = byPath.get(comps.join('/'));
    if (!entry || entry.type === 'directory') {
      throw new LifeboatError(`Cannot apply "${raw}": the archive has no file or link of that name.`);
    }
    const dest = await workspacePath(ws, entry.path);
    const st = await lstatOrUndefined(dest);
    if (st?.isDirectory()) {
      throw new LifeboatError(
        `Refused to apply "${entry.path}": the workspace has a folder of that name, which a file would replace.`,
        'Move the folder away first if the archived file should replace it.',
      );
    }
    plan.push({ entry, dest });
  }

  const applied: AppliedFile[] = [];
  for (const [i, { entry, dest }] of plan.entries()) {
    throwIfAborted(opts.signal);
    progress({ phase: `Applying ${entry.path} (${i + 1}/${plan.length})`, bytes: i, total: plan.length });
    try {
      applied.push(await applyOne(stagingDir, ws, entry, dest, opts.signal));
    } catch (err) {
      if (opts.signal?.aborted || err instanceof CancelledError) throw new CancelledError();
      const done = applied.length
        ? ` ${applied.length === 1 ? '1 file was' : `${applied.length} files were`} applied before it: ${applied.map((a) => `"${a.path}"`).join(', ')}.`
        : ' No file was changed.';
      const cause = err instanceof LifeboatError ? err : fsError(err, `restore "${entry.path}"`, dest);
      // fsError's hints are about the backup folder; these files are the workspace's. The .bak
      // note is true only of files already replaced.
      const code = ((err instanceof LifeboatError ? err.cause : err) as NodeJS.ErrnoException | undefined)?.code;
      const hint = [code ? workspaceHint(code) : cause.hint, applied.length ? 'Each replaced file was kept as a .bak next to it.' : '']
        .filter(Boolean)
        .join(' ');
      throw new LifeboatError(`${cause.message}${done}`, hint || undefined, undefined, { cause: err });
    }
  }
  return applied;
}

async function applyOne(stagingDir: string, ws: string, entry: ArchiveEntry, dest: string, signal?: AbortSignal): Promise<AppliedFile> {
  const dir = dirname(dest);
  await fs.mkdir(dir, { recursive: true });
  // mkdir may have gone through a link that appeared meanwhile: check where it landed.
  await workspacePath(ws, entry.path);
  const tmp = join(dir, withSuffix(`.${basename(dest)}`, `.lifeboat-${randomBytes(4).toString('hex')}.tmp`));
  let backup: string | undefined;
  let renamed = false;
  try {
    if (entry.type === 'symlink') {
      await fs.symlink(entry.target!, tmp);
      await fs.lutimes(tmp, entry.mtime, entry.mtime).catch(() => undefined);
    } else {
      await copyStaged(join(stagingDir, entry.path), tmp, entry, signal);
    }
    const existing = await lstatOrUndefined(dest);
    if (existing) backup = await keepBackup(dest, existing);
    await fs.rename(tmp, dest);
    renamed = true;
    await fsyncDir(dir);
    return { path: entry.path, action: existing ? 'replaced' : 'created', backup };
  } finally {
    if (!renamed) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      // The destination was not touched: a backup of it would only be clutter.
      if (backup) await fs.rm(backup, { force: true }).catch(() => undefined);
    }
  }
}

async function copyStaged(src: string, tmp: string, entry: ArchiveEntry, signal?: AbortSignal): Promise<void> {
  const hash = new HashStream();
  // O_NOFOLLOW both ways: a link swapped into staging or at the temporary name is refused.
  const input = await fs.open(src, constants.O_RDONLY | constants.O_NOFOLLOW);
  const out = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PRIVATE_FILE);
  try {
    // The streams close their handles when done; `finally` covers a failure first.
    await pipeline(input.createReadStream(), hash, out.createWriteStream(), { signal });
  } finally {
    await input.close().catch(() => undefined);
    await out.close().catch(() => undefined);
  }
  if (entry.sha256 && hash.digest() !== entry.sha256) {
    throw new LifeboatError(
      `The staged copy of "${entry.path}" no longer matches the archive (it was changed after extraction).`,
      'Extract the archive again, then retry.',
    );
  }
  // Synced while still 0600 and readable; the archived mode (maybe read-only) comes last.
  await fsyncPath(tmp);
  await fs.chmod(tmp, entry.mode & 0o777);
  await fs.utimes(tmp, new Date(), entry.mtime);
}

/** `<dest>.bak`, else `.bak.1`, `.bak.2`…; the exclusive create makes the choice race-free. */
async function keepBackup(dest: string, st: Stats): Promise<string> {
  for (let n = 0; n < 1000; n++) {
    const candidate = join(dirname(dest), withSuffix(basename(dest), n === 0 ? '.bak' : `.bak.${n}`));
    try {
      if (st.isSymbolicLink()) await fs.symlink(await fs.readlink(dest), candidate);
      else {
        try {
          await fs.link(dest, candidate);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw err;
          // Some file systems (FAT, some network mounts) have no hard links.
          await fs.copyFile(dest, candidate, constants.COPYFILE_EXCL);
          await fs.chmod(candidate, st.mode & 0o7777);
          await fs.utimes(candidate, st.atime, st.mtime);
        }
      }
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(err, 'keep a backup copy', candidate);
    }
  }
  throw new LifeboatError(`Too many backup copies of ${dest} (.bak to .bak.999).`, 'Delete old .bak files, then retry.');
}

/**
 * `name` with `suffix`, the name cut short (by whole characters) when both would pass what a
 * file name can hold: an archived name may use all of it, and the temporary and .bak names
 * beside it must still be creatable.
 */
function withSuffix(name: string, suffix: string): string {
  const chars = [...name];
  while (Buffer.byteLength(chars.join('')) + Buffer.byteLength(suffix) > MAX_NAME_BYTES) chars.pop();
  return chars.join('') + suffix;
}

async function realWorkspace(workspace: string): Promise<string> {
  try {
    return await fs.realpath(workspace);
  } catch (err) {
    throw fsError(err, 'read the workspace folder', workspace);
  }
}

/**
 * The workspace path of an archive path, refusing one whose existing parent folders lead out
 * of the workspace through a link (a `docker` folder that is a link to /srv, say).
 */
async function workspacePath(ws: string, rel: string): Promise<string> {
  const comps = archivePathComponents(rel);
  if (typeof comps === 'string' || comps.length === 0) {
    throw new LifeboatError(
      `Refused "${rel}": it ${typeof comps === 'string' ? comps : 'is empty'}; only paths inside the workspace are restored.`,
    );
  }
  const dest = join(ws, ...comps);
  let probe = dirname(dest);
  // The nearest parent that exists decides where the rest would be created.
  for (;;) {
    try {
      const real = await fs.realpath(probe);
      const back = relative(ws, real);
      if (back === '..' || back.startsWith(`..${sep}`) || isAbsolute(back)) {
        throw new LifeboatError(
          `Refused "${rel}": its folder in the workspace is a link to ${real}, outside the workspace.`,
          'Restore that file by hand if it really belongs there.',
        );
      }
      return dest;
    } catch (err) {
      if (err instanceof LifeboatError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || probe === ws) throw fsError(err, 'read the workspace folder', probe);
      probe = dirname(probe);
    }
  }
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function sha256Of(path: string, signal?: AbortSignal): Promise<string> {
  const hash = new HashStream();
  await pipeline(createReadStream(path), hash, { signal });
  return hash.digest();
}

/** The way out of a file-system error met while writing into the workspace. */
function workspaceHint(code: string): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return "Free some space on the workspace's disk, then restore again.";
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return 'Make the file and its folder writable for the user Lifeboat runs as, then restore again.';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'Move the file that is in the way of that path, then restore again.';
  return 'See the Lifeboat log for the full error.';
}
