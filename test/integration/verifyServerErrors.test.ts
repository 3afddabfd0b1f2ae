import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Stack } from '../../src/core/stack';
import { verifyBackup } from '../../src/core/verify';
import { databases, demoStack, docker, tempDir } from './harness';

/** A whole pg_dump-shaped script around `body`, as pg_dump 15 writes its head and tail. */
function dump(body: string[]): Buffer {
  return gzipSync(
    [
      '--',
      '-- PostgreSQL database dump',
      '--',
      '',
      '-- Dumped from database version 15.8',
      '-- Dumped by pg_dump version 15.8',
      '',
      ...body,
      '',
      '--',
      '-- PostgreSQL database dump complete',
      '--',
      '',
    ].join('\n'),
  );
}

describe('full verify: a dump the server refuses (issue 13)', function () {
  this.timeout(180_000);
  let stack: Stack;
  let dir: string;

  before(async () => {
    stack = await demoStack();
    dir = await tempDir('verify-server-errors');
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  const scratchLeft = async () => (await databases('sms-db', 'sms_user')).filter((d) => d.includes('_verify_'));

  it('a dump owned by a role the server lacks fails, naming the role; the throwaway database is dropped', async () => {
    const file = join(dir, 'sms_backup_20260103_000000.sql.gz');
    await fs.writeFile(
      file,
      dump([
        'CREATE TABLE public.cov2_pets (id integer, name text);',
        'ALTER TABLE public.cov2_pets OWNER TO cov2_ghost_owner;',
        'COPY public.cov2_pets (id, name) FROM stdin;',
        '1\tRex',
        '\\.',
      ]),
    );
    const r = await verifyBackup(file, { depth: 'full', docker, stack });
    assert.equal(r.ok, false);
    assert.match(
      r.problem ?? '',
      /^The backup does not restore cleanly \(server error 42704\): ERROR: {2}role "cov2_ghost_owner" does not exist/,
    );
    assert.deepEqual(await scratchLeft(), []);
  });

  it("a dump with a row the column type refuses fails on the server's error and its context", async () => {
    const file = join(dir, 'sms_backup_20260104_000000.sql.gz');
    await fs.writeFile(
      file,
      dump([
        'CREATE TABLE public.cov2_pets (id integer, name text);',
        'COPY public.cov2_pets (id, name) FROM stdin;',
        '1\tRex',
        'two\tFelix',
        '\\.',
      ]),
    );
    const r = await verifyBackup(file, { depth: 'full', docker, stack });
    assert.equal(r.ok, false);
    assert.match(
      r.problem ?? '',
      /^The backup does not restore cleanly \(server error 22P02\): ERROR: {2}invalid input syntax for type integer: "two"/,
    );
    assert.deepEqual(await scratchLeft(), []);
  });
});
