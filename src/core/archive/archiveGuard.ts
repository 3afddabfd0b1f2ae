/**
 * The rules of contract 9 in docs/contracts.md, kept apart from any I/O so that writing an archive
 * (configArchive) and reading one (safeExtract) apply exactly the same ones: an archive that
 * Lifeboat writes always passes Lifeboat's own extraction.
 */

import { formatCountOf } from '../common';

export type GuardedType = 'file' | 'directory' | 'symlink' | 'link';

/** Why an entry was refused; callers turn it into a LifeboatError with their own wording. */
export class UnsafeEntry extends Error {
  constructor(
    readonly entry: string,
    readonly reason: string,
  ) {
    super(`"${shortName(entry)}" ${reason}`);
    this.name = 'UnsafeEntry';
  }
}

export interface GuardedEntry {
  /** POSIX path relative to the archive root, normalised, no trailing slash. */
  path: string;
  type: GuardedType;
  /** Folders that do not exist yet and must be created first, outermost first. */
  newParents: string[];
  /** The path exists already: a folder listed again, or a file replacing an earlier one (tar: the later wins). */
  existed: boolean;
  /** symlink: the target as stored; link: the normalised archive path of the target. */
  target?: string;
}

type Known = 'file' | 'directory' | 'symlink';

/** A hostile name can be megabytes long: messages show its start and its length. */
export function shortName(name: string): string {
  return name.length <= 200 ? name : `${name.slice(0, 120)}… (${Buffer.byteLength(name)} bytes)`;
}

/** The fields of a tar header the rules look at (tar-stream's Header has them all). */
export interface TarHeaderFacts {
  name: string;
  type?: string | null;
  linkname?: string | null;
  size?: number;
  mtime?: Date;
  /** The parser met an extended header (PAX or GNU long name) with no content just before this entry (see tarEntryFacts). */
  afterEmptyExtension?: boolean;
}

// Case-insensitive file systems would let `A/x` go through a symlink named `a`.
const foldCase = process.platform === 'darwin' || process.platform === 'win32';
const keyOf = (path: string): string => (foldCase ? path.normalize('NFC').toLowerCase() : path);

/**
 * Linux's PATH_MAX (4096) counts the terminating NUL: a longer path cannot be created or opened
 * in one call, so no restore could write it. Measured before anything else looks at a name,
 * since a PAX header can hold megabytes of one.
 */
export const MAX_PATH_BYTES = 4095;
/** NAME_MAX, the longest file name Linux, macOS and Windows file systems hold. */
export const MAX_NAME_BYTES = 255;
/**
 * Far deeper than any config or volume tree (a PostgreSQL data folder is 3 levels deep). It bounds
 * the guard's work per entry, which looks at every parent folder: depth times name length.
 */
export const MAX_DEPTH = 256;

/** Why a path of `what` is too long or too deep to restore, or undefined. Linear in its length. */
function tooLong(path: string, what: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_PATH_BYTES) return `has a ${what} of ${bytes} bytes, longer than the ${MAX_PATH_BYTES} a file system path can hold`;
  return undefined;
}

function tooDeep(parts: string[], what: string): string | undefined {
  if (parts.length > MAX_DEPTH) return `has a ${what} ${parts.length} levels deep, more than the ${MAX_DEPTH} Lifeboat restores`;
  const long = parts.find((p) => Buffer.byteLength(p) > MAX_NAME_BYTES);
  if (long !== undefined)
    return `has a ${what} with a component of ${Buffer.byteLength(long)} bytes, longer than the ${MAX_NAME_BYTES} a file name can hold`;
  return undefined;
}

/** tooLong, then tooDeep: the limits alone, for a path that is not split otherwise. */
function pathLimit(path: string, what: string): string | undefined {
  return (
    tooLong(path, what) ??
    tooDeep(
      path.split('/').filter((p) => p !== '' && p !== '.'),
      what,
    )
  );
}

/**
 * Splits an archive name into components, or says why it is unsafe. Any `..` component is
 * refused, even one that would normalise away (`a/../b`): no honest archiver writes them and
 * a lexical normalisation is only as good as the assumption that `a` is a folder.
 */
export function archivePathComponents(name: string): string[] | string {
  const long = tooLong(name, 'name');
  if (long) return long;
  if (name.includes('\0')) return 'has a NUL byte in its name';
  if (name.startsWith('/') || (process.platform === 'win32' && /^[A-Za-z]:|^\\/.test(name))) {
    return 'has an absolute path';
  }
  const parts = (process.platform === 'win32' ? name.replace(/\\/g, '/') : name).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') return 'has a ".." component that would leave the folder';
    out.push(part);
  }
  return tooDeep(out, 'name') ?? out;
}

/**
 * Tracks every path an archive has created so far and refuses any entry that could write,
 * or make a later write land, outside the target folder. It assumes the target folder starts
 * empty (a fresh staging folder), so the archive's own entries are all that exists there.
 */
export class ArchiveGuard {
  private readonly known = new Map<string, Known>();
  /** Paths that a symlink's target walks through: one of them turning into a symlink later would redirect it. */
  private readonly walked = new Set<string>();

  /**
   * `check` plus the rules only a tar header can break. Every reader of an archive (restore,
   * verify, listing) goes through here, so a verified archive is one a restore accepts.
   */
  checkHeader(h: TarHeaderFacts): GuardedEntry | undefined {
    // Readers disagree on what follows such a header: tar-stream reads the next header at once,
    // other tars skip `size` bytes first. The same bytes would then be different files to the
    // verify and to a hand restore; no archiver Lifeboat reads writes a folder with a size.
    const declared = h.size ?? 0;
    if (h.type === 'directory' && declared !== 0) {
      throw new UnsafeEntry(
        h.name,
        `is a folder that declares ${formatCountOf(declared, 'byte')} of content, which tar readers disagree about`,
      );
    }
    // tar-stream turns a base-256 time beyond a Date's range (±275,000 years) into an invalid
    // Date, which no file system can take; any valid one is clamped to what it holds.
    if (h.mtime !== undefined && Number.isNaN(h.mtime.getTime())) {
      throw new UnsafeEntry(h.name, 'has a modification time outside any date a file system can hold');
    }
    // tar-stream then reads the next body with a length that depends on how the bytes arrive:
    // two reads of the same archive could see different files.
    if (h.afterEmptyExtension) {
      throw new UnsafeEntry(h.name, 'follows an extended (PAX or long name) header with no content, which tar readers disagree about');
    }
    return this.check(h.name, h.type, h.linkname);
  }

  check(name: string, tarType: string | null | undefined, linkname?: string | null): GuardedEntry | undefined {
    const type = mapType(name, tarType);
    // Old tars mark a folder by the slash alone: GNU tar makes a folder of a file entry named
    // `a/`, tar-stream a file `a`. Both readings cannot be the archive's.
    if (type !== 'directory' && /\/\.?$/.test(name)) {
      throw new UnsafeEntry(
        name,
        `is a ${type === 'file' ? 'file' : type === 'symlink' ? 'symbolic link' : 'hard link'} whose name ends in "/", which names a folder`,
      );
    }
    const comps = archivePathComponents(name);
    if (typeof comps === 'string') throw new UnsafeEntry(name, comps);
    if (comps.length === 0) {
      // `./` is how `tar -C dir .` names the root: nothing to create.
      if (type === 'directory') return undefined;
      throw new UnsafeEntry(name, 'has an empty name');
    }
    const path = comps.join('/');

    const newParents: string[] = [];
    for (let i = 1; i < comps.length; i++) {
      const parent = comps.slice(0, i).join('/');
      const kind = this.known.get(keyOf(parent));
      if (kind === 'symlink') throw new UnsafeEntry(name, `goes through the symbolic link "${parent}" in the same archive`);
      if (kind === 'file') throw new UnsafeEntry(name, `needs "${parent}" to be a folder, but the archive made it a file`);
      if (kind === undefined) newParents.push(parent);
    }

    const existing = this.known.get(keyOf(path));
    const asKnown: Known = type === 'link' ? 'file' : type;
    if (existing !== undefined) {
      if (!(existing === asKnown && (asKnown === 'directory' || asKnown === 'file'))) {
        throw new UnsafeEntry(name, `would replace the ${describe(existing)} of the same path with a ${describe(asKnown)}`);
      }
    }

    let target: string | undefined;
    let walkedHere: string[] = [];
    if (type === 'symlink') {
      target = linkname ?? '';
      walkedHere = this.checkSymlinkTarget(name, comps, target);
      if (this.walked.has(keyOf(path)) || walkedHere.includes(keyOf(path))) {
        throw new UnsafeEntry(name, "is a symbolic link on the path of another link's target, which it would redirect");
      }
    } else if (type === 'link') {
      const limit = pathLimit(linkname ?? '', 'link target');
      if (limit) throw new UnsafeEntry(name, limit);
      const linkComps = archivePathComponents(linkname ?? '');
      if (typeof linkComps === 'string' || linkComps.length === 0) {
        throw new UnsafeEntry(name, `is a hard link to "${shortName(linkname ?? '')}", outside the folder`);
      }
      target = linkComps.join('/');
      if (this.known.get(keyOf(target)) !== 'file' || keyOf(target) === keyOf(path)) {
        throw new UnsafeEntry(name, `is a hard link to "${shortName(target)}", which is not a file earlier in this archive`);
      }
    }

    for (const p of newParents) this.known.set(keyOf(p), 'directory');
    this.known.set(keyOf(path), asKnown);
    for (const w of walkedHere) this.walked.add(w);
    return { path, type, newParents, existed: existing !== undefined, target };
  }

  /**
   * Resolves a relative target component by component from the link's folder. Going above the
   * root is refused, and so is passing through another symlink of the archive: `x -> b/..`
   * with `b -> .` looks like the root lexically but is the root's parent on disk.
   */
  private checkSymlinkTarget(name: string, comps: string[], target: string): string[] {
    if (!target) throw new UnsafeEntry(name, 'is a symbolic link with an empty target');
    const long = tooLong(target, 'link target');
    if (long) throw new UnsafeEntry(name, long);
    if (target.includes('\0')) throw new UnsafeEntry(name, 'is a symbolic link whose target has a NUL byte');
    if (target.startsWith('/') || (process.platform === 'win32' && /^[A-Za-z]:|^\\/.test(target))) {
      throw new UnsafeEntry(name, `is a symbolic link to "${shortName(target)}", outside the folder`);
    }
    const parts = target.split('/').filter((p) => p !== '' && p !== '.');
    const deep = tooDeep(parts, 'link target');
    if (deep) throw new UnsafeEntry(name, deep);
    const stack = comps.slice(0, -1);
    const walked: string[] = [];
    parts.forEach((part, i) => {
      if (part === '..') {
        if (stack.length === 0) throw new UnsafeEntry(name, `is a symbolic link to "${shortName(target)}", outside the folder`);
        stack.pop();
        return;
      }
      stack.push(part);
      if (i === parts.length - 1) return;
      const key = keyOf(stack.join('/'));
      if (this.known.get(key) === 'symlink') {
        throw new UnsafeEntry(
          name,
          `is a symbolic link whose target "${shortName(target)}" goes through another link ("${shortName(stack.join('/'))}")`,
        );
      }
      walked.push(key);
    });
    return walked;
  }
}

function mapType(name: string, tarType: string | null | undefined): GuardedType {
  switch (tarType) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
    case 'symlink':
    case 'link':
      return tarType;
    case 'character-device':
    case 'block-device':
      throw new UnsafeEntry(name, `is a device (${tarType}); config and volume archives never need one`);
    case 'fifo':
      throw new UnsafeEntry(name, 'is a FIFO (named pipe); reading it could block forever');
    default:
      throw new UnsafeEntry(name, `has an unsupported entry type (${tarType ?? 'unknown'})`);
  }
}

function describe(kind: Known): string {
  return kind === 'directory' ? 'folder' : kind === 'symlink' ? 'symbolic link' : 'file';
}
