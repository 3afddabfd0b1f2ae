import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupSource, named } from '../encryption';
import { CryptoError } from '../crypto';
import { DumpFacts, DumpScanStream, majorVersion } from './dumpScanner';
import { CancelledError, DamagedBackupError, LifeboatError, fsError, isFsError, OperationOptions, noProgress } from '../common';
import { HashStream, inflater } from '../streams';
import { Manifest, contentSha256, readManifest } from '../store';

export interface DumpCheck {
  path: string;
  facts: DumpFacts;
  fileBytes: number;
  fileSha256: string;
  manifest?: Manifest;
  /** What could not be checked (no manifest, say): shown, not fatal. */
  notes: string[];
}

/**
 * Reads a `.sql.gz` dump to the end without restoring it: the gzip stream must be whole, the
 * file's sha256 must match its manifest when there is one, and the SQL must be a complete
 * pg_dump script (its end marker, every COPY block terminated). Runbook-made files have no
 * manifest; they are checked as far as they can be, and `notes` says what was not.
 */
/** Size and manifest of a backup file, with a note when there is no manifest to compare with. */
async function dumpFileInfo(path: string): Promise<{ fileBytes: number; manifest?: Manifest; notes: string[] }> {
  let fileBytes: number;
  try {
    fileBytes = (await fs.stat(path)).size;
  } catch (err) {
    throw fsError(err, 'read the backup', path);
  }
  const { manifest, problem } = await readManifest(path);
  const notes: string[] = [];
  if (problem) notes.push(problem);
  if (!manifest) notes.push('no manifest: the checksum and row counts recorded at backup time cannot be compared');
  return { fileBytes, manifest, notes };
}

export async function checkDumpFile(source: BackupSource, opts: OperationOptions = {}): Promise<DumpCheck> {
  const progress = opts.progress ?? noProgress;
  const path = source.path;
  const { fileBytes: total, manifest, notes } = await dumpFileInfo(path);

  const hash = new HashStream((bytes) => progress({ phase: 'Checking the file', bytes, total }));
  const scan = new DumpScanStream();
  try {
    await pipeline(source.open(), hash, inflater(), scan, discard(), { signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    throw gzipProblem(err, path);
  }
  const facts = scan.facts;
  const fileSha256 = hash.digest();
  validateDump(path, facts, fileSha256, manifest);
  return { path, facts, fileBytes: total, fileSha256, manifest, notes };
}

/**
 * What a whole read of a dump must show: the bytes its manifest recorded, a pg_dump script,
 * its end marker and every COPY block closed. Shared by the check here and by restores and
 * full verifications, which read the file once while loading it.
 */
export function validateDump(path: string, facts: DumpFacts, fileSha256: string, manifest: Manifest | undefined): void {
  const expected = contentSha256(manifest);
  if (expected && expected !== fileSha256) {
    throw new DamagedBackupError(
      `${path} does not match its manifest: its ${manifest?.encryption ? 'decrypted content' : 'sha256'} is ${fileSha256.slice(0, 12)}…, the manifest recorded ${expected.slice(0, 12)}….`,
      'The file changed after it was written (corruption or an edit). Use another backup.',
    );
  }
  if (!facts.looksLikeDump) {
    throw new LifeboatError(
      `${path} holds gzip data, but not a pg_dump SQL script.`,
      'Choose a database backup (.sql.gz made by pg_dump).',
    );
  }
  if (facts.unterminatedCopy || !facts.complete) {
    throw new DamagedBackupError(
      `${path} is an incomplete dump: ${facts.unterminatedCopy ? `the data of "${facts.unterminatedCopy}" is cut off` : "pg_dump's end marker is missing"}.`,
      'pg_dump did not finish when this file was made. Use another backup.',
    );
  }
}

export interface DumpHead {
  /** Header facts only: versions and whether it is a pg_dump script. */
  facts: DumpFacts;
  fileBytes: number;
  manifest?: Manifest;
  notes: string[];
}

/**
 * Reads only the start of a dump: enough to refuse a file that is not gzip, not a pg_dump
 * script, or from a newer pg_dump, before anything is created on the server.
 */
export async function peekDump(source: BackupSource, opts: OperationOptions = {}): Promise<DumpHead> {
  const path = source.path;
  const { fileBytes, manifest, notes } = await dumpFileInfo(path);
  const scan = new DumpScanStream();
  const enough = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, enough.signal]) : enough.signal;
  const stop = new Writable({
    write(_chunk, _enc, done) {
      if (scan.facts.bytes >= 256 * 1024) enough.abort();
      done();
    },
  });
  try {
    await pipeline(source.open(), inflater(), scan, stop, { signal });
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    // A truncated file shows up in the full read; here only the head matters.
    if (!enough.signal.aborted && (err instanceof CryptoError || !/unexpected end of file/.test((err as Error).message ?? '')))
      throw gzipProblem(err, path);
  }
  if (!scan.facts.looksLikeDump) {
    throw new LifeboatError(
      `${path} holds gzip data, but not a pg_dump SQL script.`,
      'Choose a database backup (.sql.gz made by pg_dump).',
    );
  }
  return { facts: scan.facts, fileBytes, manifest, notes };
}

/** Refuses a dump that a server of this version cannot be trusted to load. */
export function checkServerVersion(facts: DumpFacts, server: string): void {
  const dumpMajor = majorVersion(facts.dumpVersion);
  const serverMajor = majorVersion(server);
  if (dumpMajor !== undefined && serverMajor !== undefined && dumpMajor > serverMajor) {
    throw new LifeboatError(
      `This dump was made by pg_dump ${facts.dumpVersion}, newer than the server (PostgreSQL ${server}).`,
      `Restore it into a PostgreSQL ${dumpMajor} or newer server, or make the backup with a pg_dump of version ${serverMajor}.`,
    );
  }
}

export function gzipProblem(err: unknown, path: string): Error {
  // A decryption failure (tampered, truncated) says more than the inflate error it causes.
  if (err instanceof CryptoError) return named(err, basename(path));
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_DATA_ERROR' || /incorrect header check/.test(e.message ?? '')) {
    return new LifeboatError(
      `${path} is not a gzip file, or is corrupt (${e.message}).`,
      'Choose a .sql.gz made by Lifeboat or by `pg_dump | gzip`.',
      undefined,
      { cause: err },
    );
  }
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/.test(e.message ?? '')) {
    return new LifeboatError(
      `${path} is truncated: its gzip stream ends early.`,
      'The file was cut off (a full disk or an interrupted copy). Use another backup.',
      undefined,
      { cause: err },
    );
  }
  if (isFsError(err)) return fsError(err, 'read the backup', path);
  return err instanceof Error ? err : new Error(String(err));
}

/** A sink that drops what it gets; the checks happen in the stages before it. */
export function discard(): Writable {
  return new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });
}
