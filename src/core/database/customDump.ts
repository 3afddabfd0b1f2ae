import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { BackupSource, named } from '../encryption';
import { CryptoError } from '../crypto';
import { pipeline } from 'node:stream/promises';
import { discard } from './dumpCheck';
import type { DumpFacts } from './dumpScanner';
import { CancelledError, LifeboatError, fsError, OperationOptions, noProgress } from '../common';
import { startExec } from '../docker';
import { HashStream } from '../streams';
import type { LoadTarget } from './scratchRestore';
import { maintenanceDatabase, psql } from '../postgres';

/** `pg_dump -Fc` archives start with this magic; plain SQL dumps never do. */
const MAGIC = Buffer.from('PGDMP');

/** Whether the first bytes of a backup's content are those of a custom-format archive. */
export function isCustomHead(head: Buffer): boolean {
  return head.length >= MAGIC.length && head.subarray(0, MAGIC.length).equals(MAGIC);
}

export async function isCustomFormat(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    throw fsError(err, 'read the backup', path);
  }
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await handle.read(head, 0, 5, 0);
    return bytesRead === 5 && head.equals(MAGIC);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a custom-format archive's table of contents with the server's own pg_restore (the file
 * streams in over stdin): its versions and the tables it carries data for. pg_restore refusing
 * the archive (a newer format, a damaged header) is reported here, before anything is created.
 */
export async function customDumpFacts(target: LoadTarget, source: BackupSource, opts: OperationOptions = {}): Promise<DumpFacts> {
  const path = source.path;
  const run = await startExec(target.container, { argv: ['pg_restore', '--list'] }, { stdin: true });
  const chunks: Buffer[] = [];
  const collect = pipeline(run.stdout, async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) chunks.push(c);
  });
  try {
    await pipeline(source.open(), run.stdin!, { signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    if (!/EPIPE|ECONNRESET|premature/i.test(String((err as NodeJS.ErrnoException).code ?? (err as Error).message))) throw err;
  }
  await collect.catch(() => undefined);
  const exitCode = await run.exitCode();
  const toc = Buffer.concat(chunks).toString('utf8');
  if (exitCode !== 0) {
    throw new LifeboatError(
      `pg_restore cannot read ${path}: ${run.stderr.text().split('\n').filter(Boolean).at(-1) ?? `exit code ${exitCode}`}`,
      'The archive is damaged, or was made by a newer pg_dump than this server has. The live database was not touched.',
    );
  }
  const facts: DumpFacts = { looksLikeDump: true, complete: true, tables: {}, copies: [], alembicHeads: [], bytes: 0 };
  facts.serverVersion = toc.match(/Dumped from database version: (.+)/)?.[1]?.trim();
  facts.dumpVersion = toc.match(/Dumped by pg_dump version: (.+)/)?.[1]?.trim();
  // The row counts are not in a custom archive; the restored copy is compared with the manifest.
  return facts;
}

/**
 * Loads a custom-format archive into a new database with pg_restore, stopping at the first
 * error inside one transaction: the `-Fc` counterpart of the plain-SQL psql load.
 */
export async function loadCustomDumpIntoNewDatabase(
  target: LoadTarget,
  source: BackupSource,
  opts: OperationOptions = {},
): Promise<{ fileSha256: string }> {
  const { path: file, fileBytes } = source;
  const progress = opts.progress ?? noProgress;
  const admin = { container: target.container, user: target.user, database: await maintenanceDatabase({ ...target }) };
  await psql(admin, 'CREATE DATABASE :"db" TEMPLATE template0;', { db: target.database });
  const run = await startExec(
    target.container,
    { argv: ['pg_restore', '--no-password', '--exit-on-error', '--single-transaction', '-U', target.user, '-d', target.database] },
    { stdin: true },
  );
  const hash = new HashStream((bytes) => progress({ phase: `Dry run: restoring into ${target.database}`, bytes, total: fileBytes }));
  const exited = new AbortController();
  const output = pipeline(run.stdout, discard()).finally(() => exited.abort());
  const signal = opts.signal ? AbortSignal.any([opts.signal, exited.signal]) : exited.signal;
  try {
    await pipeline(source.open(), hash, run.stdin!, { signal });
  } catch (err) {
    if (opts.signal?.aborted) {
      run.destroy();
      throw new CancelledError();
    }
    if (!exited.signal.aborted) {
      run.destroy();
      throw err instanceof CryptoError ? named(err, basename(file)) : fsError(err, 'read the backup', file);
    }
  }
  await output.catch(() => undefined);
  const exitCode = await run.exitCode();
  if (exitCode !== 0) {
    const stderr = run.stderr.text();
    const first = stderr.split('\n').find((l) => /error/i.test(l)) ?? `exit code ${exitCode}`;
    throw new LifeboatError(
      `The backup does not restore cleanly (pg_restore exit code ${exitCode}): ${first.trim()}`,
      'The live database was not touched. See the Lifeboat log.',
      stderr,
    );
  }
  return { fileSha256: hash.digest() };
}
