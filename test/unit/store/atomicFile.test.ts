import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { AtomicFile, freeName, partialPathOf, databaseBackupName } from '../../../src/core/store';
import type { Manifest } from '../../../src/core/store';
import { LifeboatError } from '../../../src/core/common';

const manifestOf = (name: string): Manifest =>
  ({
    formatVersion: 1,
    kind: 'database',
    createdAt: '2026-01-01T00:00:00.000Z',
    file: { name, bytes: 3, sha256: 'x' },
    verifications: [],
  }) as unknown as Manifest;

describe('atomicFile: the one write protocol of every backup writer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-atomic-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps the partial name the stale-partial sweep and the kill -9 tests look for', () => {
    assert.equal(partialPathOf(join(dir, 'sms_backup_20260101_000000.sql.gz')), join(dir, '.sms_backup_20260101_000000.sql.gz.partial'));
    assert.equal(new AtomicFile(join(dir, 'a.tar.gz')).partial, join(dir, '.a.tar.gz.partial'));
  });

  it('a write that fails leaves nothing under the final name, no partial, and older files untouched', async () => {
    await fs.writeFile(join(dir, 'older.sql.gz'), 'old');
    const file = new AtomicFile(join(dir, 'new.sql.gz'));
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        this.destroy(new Error('pg_dump died'));
      },
    });
    try {
      await assert.rejects(pipeline(failing, file.stream()), /pg_dump died/);
    } finally {
      await file.discard();
    }
    assert.deepEqual(await fs.readdir(dir), ['older.sql.gz']);
    assert.equal(await fs.readFile(join(dir, 'older.sql.gz'), 'utf8'), 'old');
  });

  it('the final name appears only at commit, holding all the data, and the partial is gone', async () => {
    const final = join(dir, 'big.sql.gz');
    const file = new AtomicFile(final);
    const out = file.stream();
    const chunk = Buffer.alloc(256 * 1024, 7);
    // Watched after every chunk: a half-written file must never be visible under its final name.
    for (let i = 0; i < 16; i++) {
      await new Promise<void>((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve())));
      assert.equal(existsSync(final), false, `the final name appeared after chunk ${i}`);
    }
    await new Promise<void>((resolve) => out.end(resolve));
    assert.equal(existsSync(final), false, 'the final name appeared before commit');
    await file.commit();
    assert.equal((await fs.stat(final)).size, 16 * chunk.length);
    assert.equal(existsSync(file.partial), false);
    assert.equal((await fs.stat(final)).mode & 0o777, 0o600);
    // Once committed, a `finally` that discards must not touch the finished file.
    await file.discard();
    assert.equal(existsSync(final), true);
  });

  it('writes the manifest only after the data, and says so when it cannot', async () => {
    const final = join(dir, 'x.sql.gz');
    const file = new AtomicFile(final);
    await fs.writeFile(file.partial, 'abc');
    await assert.rejects(
      file.writeManifest(manifestOf('x.sql.gz'), () => undefined),
      /comes after its data/,
    );
    assert.equal(existsSync(`${final}.json`), false);
    await file.commit();
    assert.equal(await file.writeManifest(manifestOf('x.sql.gz'), () => assert.fail('should be written')), true);
    assert.equal(JSON.parse(await fs.readFile(`${final}.json`, 'utf8')).file.name, 'x.sql.gz');

    // A folder where the manifest goes: the data stays, the failure is reported, not thrown.
    const other = new AtomicFile(join(dir, 'y.sql.gz'));
    await fs.writeFile(other.partial, 'abc');
    await other.commit();
    await fs.mkdir(join(dir, 'y.sql.gz.json'));
    const failures: unknown[] = [];
    assert.equal(await other.writeManifest(manifestOf('y.sql.gz'), (err) => failures.push(err)), false);
    assert.equal(failures.length, 1);
    assert.equal(await fs.readFile(join(dir, 'y.sql.gz'), 'utf8'), 'abc');
  });

  it("refuses a partial that exists (another run's) and leaves it alone", async () => {
    const file = new AtomicFile(join(dir, 'z.sql.gz.age'));
    await fs.writeFile(file.partial, 'someone else is writing');
    await assert.rejects(file.open(), (err: unknown) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, /"\.z\.sql\.gz\.age\.partial" already exists/);
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'EEXIST');
      return true;
    });
    await file.discard();
    assert.equal(await fs.readFile(file.partial, 'utf8'), 'someone else is writing');
  });

  it('open() waits until the partial is open and creates it private', async () => {
    const file = new AtomicFile(join(dir, 'w.sql.gz'));
    const out = await file.open();
    assert.equal((await fs.stat(file.partial)).mode & 0o777, 0o600);
    await new Promise<void>((resolve) => out.end('data', resolve));
    await file.commit();
    assert.equal(await fs.readFile(join(dir, 'w.sql.gz'), 'utf8'), 'data');
  });

  describe('freeName', () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const nameAt = (t: Date) => databaseBackupName('sms', t);

    it('returns the name of the time itself when it is free', async () => {
      assert.equal(await freeName(dir, nameAt, () => at, 'backups'), 'sms_backup_20260102_030405.sql.gz');
    });

    it('skips taken names to the next free second', async () => {
      await fs.writeFile(join(dir, 'sms_backup_20260102_030405.sql.gz'), '');
      await fs.writeFile(join(dir, 'sms_backup_20260102_030406.sql.gz'), '');
      assert.equal(await freeName(dir, nameAt, () => at, 'backups'), 'sms_backup_20260102_030407.sql.gz');
    });

    it('gives up after a minute of taken names, naming what and where', async () => {
      for (let i = 0; i < 60; i++) await fs.writeFile(join(dir, nameAt(new Date(at.getTime() + i * 1000))), '');
      await assert.rejects(
        freeName(dir, nameAt, () => at, 'backups'),
        (err: unknown) => {
          assert.ok(err instanceof LifeboatError);
          assert.equal(err.message, `Too many backups named for ${at.toISOString()} in ${dir}.`);
          return true;
        },
      );
    });
  });
});
