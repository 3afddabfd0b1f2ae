import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { plainSource } from '../../../src/core/encryption';
import { checkDumpFile, gzipProblem, peekDump, validateDump } from '../../../src/core/database';
import { CancelledError, DamagedBackupError, LifeboatError } from '../../../src/core/common';

const DUMP =
  '--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.4\n-- Dumped by pg_dump version 15.4\n\nCREATE TABLE public.t (id integer);\n\nCOPY public.t (id) FROM stdin;\n1\n2\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n';

describe('dump check edges', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-dumpcheck-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a manifest that is not JSON is a note, and the dump is still checked', async () => {
    const path = join(dir, 'sms_backup_20260101_000000.sql.gz');
    await fs.writeFile(path, gzipSync(DUMP));
    await fs.writeFile(`${path}.json`, '{ not json');
    const r = await checkDumpFile(await plainSource(path));
    assert.equal(r.facts.tables['public.t'], 2);
    assert.equal(r.notes.length, 2);
    assert.match(r.notes[0], /^manifest is not valid JSON: /);
    assert.match(r.notes[1], /^no manifest: /);
  });

  it('a backup gone since it was opened: the check names it and says it cannot be read', async () => {
    const path = join(dir, 'sms_backup_20260101_000000.sql.gz');
    await fs.writeFile(path, gzipSync(DUMP));
    const source = await plainSource(path);
    await fs.rm(path);
    await assert.rejects(
      checkDumpFile(source),
      (err: Error) => err instanceof LifeboatError && err.message.startsWith(`Cannot read the backup (${path}): ENOENT`),
    );
    await assert.rejects(peekDump(source), /Cannot read the backup/);
  });

  it('a cancelled peek is a cancel; a head that is not a dump is refused', async () => {
    const path = join(dir, 'sms_backup_20260101_000000.sql.gz');
    await fs.writeFile(path, gzipSync(DUMP));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(peekDump(await plainSource(path), { signal: ac.signal }), CancelledError);
    await fs.writeFile(path, gzipSync('hello, world\n'));
    await assert.rejects(peekDump(await plainSource(path)), /holds gzip data, but not a pg_dump SQL script/);
  });

  it('gzipProblem: file-system codes in their words, anything else passed on as an Error', () => {
    const io = gzipProblem(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }), '/b/x.sql.gz');
    assert.equal(io.message, 'Cannot read the backup (/b/x.sql.gz): EIO: i/o error, read');
    const other = new Error('something else');
    assert.equal(gzipProblem(other, '/b/x.sql.gz'), other);
    const odd = gzipProblem('a string', '/b/x.sql.gz');
    assert.ok(odd instanceof Error);
    assert.equal(odd.message, 'a string');
    assert.match(gzipProblem(Object.assign(new Error('zlib'), { code: 'Z_BUF_ERROR' }), '/b/x').message, /is truncated/);
    assert.match(
      gzipProblem(Object.assign(new Error('zlib'), { code: 'Z_DATA_ERROR' }), '/b/x').message,
      /not a gzip file, or is corrupt \(zlib\)/,
    );
  });
  describe('the whole-file check refuses what a restore could not load, naming why', () => {
    const path = () => join(dir, 'sms_backup_20260101_000000.sql.gz');
    const refused = async (script: string, message: RegExp) => {
      await fs.writeFile(path(), gzipSync(script));
      await assert.rejects(checkDumpFile(await plainSource(path())), (err: Error) => {
        assert.ok(err instanceof LifeboatError, String(err));
        assert.match(err.message, message);
        return true;
      });
    };

    it('gzip data that is not a pg_dump script', () => refused('hello, world\n', /holds gzip data, but not a pg_dump SQL script\.$/));

    it("a dump without pg_dump's end marker", () =>
      refused(
        DUMP.replace('-- PostgreSQL database dump complete', '-- nothing'),
        /is an incomplete dump: pg_dump's end marker is missing\.$/,
      ));

    it('a dump cut off inside the data of a table', () =>
      refused(DUMP.slice(0, DUMP.indexOf('\\.')), /is an incomplete dump: the data of "public\.t" is cut off\.$/));

    it('a cancelled check is a cancel', async () => {
      await fs.writeFile(path(), gzipSync(DUMP));
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(checkDumpFile(await plainSource(path()), { signal: ac.signal }), CancelledError);
    });
  });

  it('a peek reads only the head of a large dump, and a cut-off end does not matter to it', async () => {
    const path = join(dir, 'sms_backup_20260101_000000.sql.gz');
    const rows = Array.from({ length: 60_000 }, (_, i) => `${i}\n`).join('');
    const big = gzipSync(DUMP.replace('1\n2\n', rows));
    await fs.writeFile(path, big);
    const head = await peekDump(await plainSource(path));
    assert.equal(head.facts.looksLikeDump, true);
    assert.equal(head.facts.dumpVersion, '15.4');
    assert.ok(head.facts.bytes < Buffer.byteLength(DUMP) + rows.length, `read ${head.facts.bytes} bytes of the script`);
    await fs.writeFile(path, big.subarray(0, 2000));
    assert.equal((await peekDump(await plainSource(path))).facts.looksLikeDump, true);
  });
  it('a decrypted dump that does not match its manifest says it is the decrypted content that differs', () => {
    const facts = { looksLikeDump: true, complete: true } as Parameters<typeof validateDump>[1];
    const manifest = {
      file: { name: 'x.sql.gz.age', bytes: 1, sha256: 'f'.repeat(64) },
      encryption: { format: 'age', keyFingerprint: 'age:passphrase', plaintextSha256: 'a'.repeat(64) },
    } as Parameters<typeof validateDump>[3];
    assert.throws(
      () => validateDump('/b/x.sql.gz.age', facts, 'b'.repeat(64), manifest),
      (err: Error) =>
        err instanceof DamagedBackupError &&
        err.message ===
          '/b/x.sql.gz.age does not match its manifest: its decrypted content is bbbbbbbbbbbb…, the manifest recorded aaaaaaaaaaaa….',
    );
  });
});
