import type Docker from 'dockerode';
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import type { Stack } from '../stack';
import { pipeline } from 'node:stream/promises';
import { BackupSource, KeyProvider, isKeyProblem, openBackupSource } from '../encryption';
import {
  customDumpFacts,
  isCustomHead,
  loadCustomDumpIntoNewDatabase,
  checkDumpFile,
  checkServerVersion,
  discard,
  validateDump,
  sideName,
  dropDatabase,
  loadDumpIntoNewDatabase,
} from '../database';
import type { DumpFacts } from '../database';
import { HashStream } from '../streams';
import {
  ContainerNotRunningError,
  DockerUnavailableError,
  LifeboatError,
  fsError,
  isCancelled,
  OperationOptions,
  formatBytes,
  formatBytesExact,
  formatCount,
  formatCountOf,
  toolVersion,
  errorText,
} from '../common';
import { Manifest, VerificationRecord, contentSha256, readManifest, recordVerification, parseBackupName } from '../store';
import { PsqlTarget, serverVersion, tableRowCounts } from '../postgres';
import { checkTarGz } from '../archive';
import { checkVolumeArchive } from '../volume';
import type { VolumeManifest } from '../volume';

export type VerifyDepth = 'quick' | 'full';

export interface VerifyResult {
  path: string;
  depth: VerifyDepth;
  ok: boolean;
  /** What was proven. */
  checks: string[];
  /** What could not be checked, and why. */
  notes: string[];
  /** Why it failed, when it did. */
  problem?: string;
  manifest?: Manifest;
}

export interface VerifyOptions extends OperationOptions {
  depth: VerifyDepth;
  /** Needed for a full verification of a database dump (the scratch restore). */
  docker?: Docker;
  stack?: Stack;
  now?: () => Date;
  /** The key of an encrypted backup (`.age`, `.enc`), which is read through its decryption. */
  keys?: KeyProvider;
}

/**
 * Proves a backup readable (quick) or restorable (full) and records the result in its
 * manifest, whose history the tree's icon and tooltip show. Quick reads the whole file:
 * gzip and tar integrity, sha256 against the manifest, the dump's end marker. Full also
 * restores a dump into a throwaway database, compares its row counts and drops it.
 * A failure is a result, not an exception; a cancel is an exception and records nothing, and so
 * is a problem with the key of an encrypted backup (a wrong passphrase proves nothing about it).
 * An encrypted backup is checked through its decryption, which never touches the disk: its
 * plaintext's sha256 is compared with the one its manifest recorded.
 */
export async function verifyBackup(path: string, opts: VerifyOptions): Promise<VerifyResult> {
  const parsed = parseBackupName(basename(path));
  const result: VerifyResult = { path, depth: opts.depth, ok: false, checks: [], notes: [] };
  let size: number;
  try {
    size = (await fs.stat(path)).size;
  } catch (err) {
    throw fsError(err, 'read the backup', path);
  }
  let source: BackupSource | undefined;
  const read: ReadFacts = {};
  try {
    if (!parsed) throw new LifeboatError(`"${basename(path)}" is not a backup name Lifeboat knows.`);
    source = await openBackupSource(path, { keys: opts.keys, signal: opts.signal });
    if (source.encryption) result.checks.push(`decrypts (${source.encryption}; nothing decrypted written to disk)`);
    if (parsed.kind === 'database') await verifyDump(source, result, opts, read);
    else if (parsed.kind === 'volume') await verifyVolumeSnapshot(source, size, result, opts, read);
    else await verifyArchive(source, result, opts, read);
    result.ok = true;
  } catch (err) {
    // An engine or a database container that is down says nothing about the backup: that is an
    // error of this run, never a failed check recorded against the file.
    if (isCancelled(err) || isKeyProblem(err) || err instanceof DockerUnavailableError || err instanceof ContainerNotRunningError)
      throw err;
    result.problem = errorText(err);
  } finally {
    source?.close();
  }
  const record: VerificationRecord = {
    at: (opts.now ?? (() => new Date()))().toISOString(),
    depth: opts.depth,
    ok: result.ok,
    detail: result.ok ? result.checks.join('; ') : result.problem,
  };
  if (parsed) {
    const base: Manifest = {
      formatVersion: 1,
      kind: parsed.kind,
      createdAt: parsed.time.toISOString(),
      tool: { name: 'lifeboat', version: toolVersion },
      source: {},
      compression: { format: 'gzip', level: 0 },
      // A checksum only when this read proved it: an encrypted file's read hashes its plaintext.
      file: { name: basename(path), bytes: size, ...(result.ok && read.sha256 && !source?.encryption ? { sha256: read.sha256 } : {}) },
      adoptedAt: new Date().toISOString(),
      verifications: [],
    };
    try {
      result.manifest = await recordVerification(path, base, record);
    } catch (err) {
      result.notes.push(`the result could not be recorded: ${(err as Error).message}`);
    }
  }
  return result;
}

/** What reading a backup whole learnt about it, for the manifest adopted for a runbook-made file. */
interface ReadFacts {
  sha256?: string;
}

async function verifyDump(source: BackupSource, result: VerifyResult, opts: VerifyOptions, read: ReadFacts): Promise<void> {
  const proven = (facts: DumpFacts, manifest: Manifest | undefined) => {
    result.checks.push('gzip stream whole');
    if (contentSha256(manifest))
      result.checks.push(manifest?.encryption ? 'sha256 of the decrypted content matches the manifest' : 'sha256 matches the manifest');
    result.checks.push(`complete pg_dump script (${Object.keys(facts.tables).length} tables)`);
  };
  if (isCustomHead(source.head)) return verifyCustomDump(source, result, opts, read);
  if (opts.depth === 'full' && (!opts.docker || !opts.stack))
    throw new LifeboatError('A full verification needs the database container.', 'Start the stack, then retry.');
  // Quick, and the first half of full: a truncated or corrupt file fails this cheap read before
  // anything is created on the live server.
  const check = await checkDumpFile(source, opts);
  read.sha256 = check.fileSha256;
  result.notes.push(...check.notes);
  if (opts.depth === 'quick' || !opts.docker || !opts.stack) {
    proven(check.facts, check.manifest);
    return;
  }
  const path = source.path;
  const target: PsqlTarget = {
    container: opts.docker.getContainer(opts.stack.db.id),
    user: opts.stack.db.user,
    database: opts.stack.db.database,
  };
  checkServerVersion(check.facts, await serverVersion(target));
  const scratch = sideName(opts.stack.db.database, '_verify', (opts.now ?? (() => new Date()))());
  try {
    const loaded = await loadDumpIntoNewDatabase({ ...target, database: scratch }, source, opts);
    validateDump(path, loaded.facts, loaded.fileSha256, check.manifest);
    proven(loaded.facts, check.manifest);
    check.facts = loaded.facts;
    const restored = loaded.serverCounts ?? (await tableRowCounts({ ...target, database: scratch }));
    const expected = check.manifest?.tables ?? check.facts.tables;
    const diffs = Object.entries(expected).filter(([t, n]) => restored[t] !== n);
    if (diffs.length) {
      throw new LifeboatError(
        `The test restore does not match: ${diffs
          .slice(0, 3)
          .map(([t, n]) => `"${t}" ${restored[t] === undefined ? 'missing' : formatCount(restored[t])} of ${formatCountOf(n, 'row')}`)
          .join('; ')}.`,
      );
    }
    const rows = Object.values(restored).reduce((a, b) => a + b, 0);
    result.checks.push(
      `test restore into a throwaway database: ${formatCountOf(Object.keys(restored).length, 'table')}, ${formatCountOf(rows, 'row')} match`,
    );
  } finally {
    await dropDatabase(target, scratch).catch(() => undefined);
  }
}

/** `pg_dump -Fc` archives: the checksum alone is quick; full restores through pg_restore. */
async function verifyCustomDump(source: BackupSource, result: VerifyResult, opts: VerifyOptions, read: ReadFacts): Promise<void> {
  const path = source.path;
  const { manifest, problem } = await readManifest(path);
  if (problem) result.notes.push(problem);
  const expected = contentSha256(manifest);
  if (opts.depth === 'quick' || !opts.docker || !opts.stack) {
    const hash = new HashStream();
    await pipeline(source.open(), hash, discard(), { signal: opts.signal });
    read.sha256 = hash.digest();
    if (expected) {
      if (expected !== hash.digest())
        throw new LifeboatError(`"${basename(path)}" does not match its manifest (sha256 differs).`, 'Use another backup.');
      result.checks.push('sha256 matches the manifest');
    } else {
      result.notes.push('no manifest checksum to compare');
    }
    result.notes.push('a custom-format archive is only proven by a full verification (a test restore with pg_restore)');
    return;
  }
  const target: PsqlTarget = {
    container: opts.docker.getContainer(opts.stack.db.id),
    user: opts.stack.db.user,
    database: opts.stack.db.database,
  };
  const facts = await customDumpFacts(target, source, opts);
  checkServerVersion(facts, await serverVersion(target));
  const scratch = sideName(opts.stack.db.database, '_verify', (opts.now ?? (() => new Date()))());
  try {
    const { fileSha256 } = await loadCustomDumpIntoNewDatabase({ ...target, database: scratch }, source, opts);
    validateDump(path, facts, fileSha256, manifest);
    read.sha256 = fileSha256;
    if (expected) result.checks.push('sha256 matches the manifest');
    const restored = await tableRowCounts({ ...target, database: scratch });
    if (manifest?.tables) {
      const diffs = Object.entries(manifest.tables).filter(([t, n]) => restored[t] !== n);
      if (diffs.length)
        throw new LifeboatError(
          `The test restore does not match the manifest: ${diffs
            .slice(0, 3)
            .map(([t, n]) => `"${t}" ${restored[t] === undefined ? 'missing' : formatCount(restored[t])} of ${formatCountOf(n, 'row')}`)
            .join('; ')}.`,
        );
    } else {
      result.notes.push('no manifest row counts to compare the test restore with');
    }
    const rows = Object.values(restored).reduce((a, b) => a + b, 0);
    result.checks.push(
      `test restore with pg_restore: ${formatCountOf(Object.keys(restored).length, 'table')}, ${formatCountOf(rows, 'row')}`,
    );
  } finally {
    await dropDatabase(target, scratch).catch(() => undefined);
  }
}

async function verifyArchive(source: BackupSource, result: VerifyResult, opts: VerifyOptions, read: ReadFacts): Promise<void> {
  const path = source.path;
  const { manifest, problem } = await readManifest(path);
  if (problem) result.notes.push(problem);
  const facts = await checkTarGz(source, opts);
  read.sha256 = facts.fileSha256;
  result.checks.push(`gzip and tar whole (${formatCountOf(facts.entries, 'entry', 'entries')})`);
  const expected = contentSha256(manifest);
  if (expected) {
    if (expected !== facts.fileSha256) {
      throw new LifeboatError(
        `"${basename(path)}" does not match its manifest (sha256 differs).`,
        'The file changed after it was written. Use another backup.',
      );
    }
    result.checks.push('sha256 matches the manifest');
  } else {
    result.notes.push('no manifest checksum to compare');
  }
  if (opts.depth === 'full')
    result.notes.push(
      'a test restore: a config archive has nothing to restore into, so every entry was read whole instead, and a restore shows each change before it makes it',
    );
}

/**
 * A volume snapshot against what its manifest recorded when it was taken: the file's size and
 * sha256, then, reading it whole, gzip and tar integrity (down to the end-of-archive marker), every
 * entry against contract 9 in docs/contracts.md (what the restore will check), and the entry count,
 * file count and file bytes. The size is compared before reading: a cut-off file says so plainly.
 */
async function verifyVolumeSnapshot(
  source: BackupSource,
  size: number,
  result: VerifyResult,
  opts: VerifyOptions,
  read: ReadFacts,
): Promise<void> {
  const path = source.path;
  const { manifest: raw, problem } = await readManifest(path);
  if (problem) result.notes.push(problem);
  const m = raw as Partial<VolumeManifest> | undefined;
  const name = basename(path);
  const recordedBytes = m?.file?.sha256 ? m.file.bytes : undefined;
  if (recordedBytes !== undefined && recordedBytes !== size) {
    throw new LifeboatError(
      `"${name}" is ${formatBytesExact(size)} but its manifest records ${formatBytesExact(recordedBytes)}: it was ${size < recordedBytes ? 'truncated' : 'changed'} after it was made.`,
      'Use another snapshot; this one cannot be restored as it was taken.',
    );
  }
  const facts = await checkVolumeArchive(path, {
    ...opts,
    purpose: 'verify',
    open: source.encryption ? (signal) => source.open(signal) : undefined,
  });
  read.sha256 = facts.fileSha256;
  result.checks.push('gzip and tar whole, to the end-of-archive marker');
  result.checks.push('every entry stays inside the volume (contract 9)');
  const expected = contentSha256(raw);
  if (expected) {
    if (expected !== facts.fileSha256) {
      throw new LifeboatError(
        `"${name}" does not match its manifest (sha256 differs): it changed after it was made.`,
        'Use another snapshot.',
      );
    }
    result.checks.push(source.encryption ? 'sha256 of the decrypted content matches the manifest' : 'sha256 matches the manifest');
  } else {
    result.notes.push('no manifest checksum to compare');
  }
  const counted: [string, number | undefined, number][] = [
    ['entries', m?.entryCount, facts.entries],
    ['regular files', m?.fileCount, facts.files],
    ['bytes of file data', m?.dataBytes, facts.dataBytes],
    ['bytes of uncompressed tar', m?.content?.bytes, facts.tarBytes],
  ];
  // Only what the manifest recorded is compared; `want` is a number from here on.
  const recorded = counted.filter(([, want]) => typeof want === 'number');
  const wrong = recorded.filter(([, want, got]) => want !== got);
  if (wrong.length) {
    throw new LifeboatError(
      `"${name}" does not hold what its manifest records: ${wrong.map(([what, want, got]) => `${formatCount(got)} ${what} instead of ${formatCount(want!)}`).join(', ')}.`,
      'The archive was rewritten after it was made. Use another snapshot.',
    );
  }
  if (recorded.length) {
    result.checks.push(
      `${formatCountOf(facts.entries, 'entry', 'entries')}, ${formatCountOf(facts.files, 'file')} and ${formatBytes(facts.dataBytes)} of data, as the manifest records`,
    );
  } else {
    result.notes.push(
      `${formatCountOf(facts.entries, 'entry', 'entries')}, ${formatCountOf(facts.files, 'file')}, ${formatBytes(facts.dataBytes)} of data (no manifest counts to compare)`,
    );
  }
  if (opts.depth === 'full')
    result.notes.push('a test restore into a scratch volume: every entry was read whole and checked as a restore checks it instead');
}
