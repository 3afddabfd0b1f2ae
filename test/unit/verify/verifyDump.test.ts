import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type Docker from 'dockerode';
import type { Stack } from '../../../src/core/stack';
import { verifyBackup } from '../../../src/core/verify';

/** A small but whole pg_dump script, with enough rows that a cut file still has a readable head. */
function dumpText(): string {
  const rows = Array.from({ length: 4000 }, (_, i) => `${i}\t${randomBytes(12).toString('hex')}`);
  return [
    '--',
    '-- PostgreSQL database dump',
    '--',
    '',
    '-- Dumped from database version 15.8',
    '-- Dumped by pg_dump version 15.8',
    '',
    'CREATE TABLE public.students (id integer, name text);',
    'COPY public.students (id, name) FROM stdin;',
    ...rows,
    '\\.',
    '',
    '--',
    '-- PostgreSQL database dump complete',
    '--',
    '',
  ].join('\n');
}

describe('verifyBackup of a database dump (issue 14.5)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-verify-dump-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a full verification of a truncated file fails on the quick read, before the live server is touched', async () => {
    const whole = gzipSync(dumpText());
    const file = join(dir, 'sms_backup_20260130_020000.sql.gz');
    await fs.writeFile(file, whole.subarray(0, Math.floor(whole.length * 0.7)));
    const touched: string[] = [];
    const docker = {
      getContainer: (id: string) => {
        touched.push(id);
        throw new Error('the live server was touched');
      },
    } as unknown as Docker;
    const stack = { db: { id: 'sms-db', user: 'sms_user', database: 'sms_db' } } as unknown as Stack;
    const result = await verifyBackup(file, { depth: 'full', docker, stack });
    assert.equal(result.ok, false);
    assert.match(result.problem ?? '', /is truncated: its gzip stream ends early/);
    assert.deepEqual(touched, [], 'no scratch database was created for a file the quick read refuses');
    const adopted = JSON.parse(await fs.readFile(`${file}.json`, 'utf8'));
    assert.equal('sha256' in adopted.file, false, 'no checksum is recorded for a file that failed');
  });

  it('adopting a runbook-made file records the sha256 computed while reading it, not an empty one', async () => {
    const bytes = gzipSync(dumpText());
    const file = join(dir, 'sms_backup_20260130_020000.sql.gz');
    await fs.writeFile(file, bytes);
    const result = await verifyBackup(file, { depth: 'quick' });
    assert.equal(result.ok, true, result.problem);
    const adopted = JSON.parse(await fs.readFile(`${file}.json`, 'utf8'));
    assert.equal(adopted.file.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(adopted.file.bytes, bytes.length);

    // The next verification compares against it: another whole dump in its place is caught.
    await fs.writeFile(file, gzipSync(dumpText()));
    const again = await verifyBackup(file, { depth: 'quick' });
    assert.equal(again.ok, false);
    assert.match(again.problem ?? '', /does not match its manifest/);
  });
});
