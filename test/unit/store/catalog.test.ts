import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  listBackups,
  withEncryptedCopies,
  describeBackupCount,
  Manifest,
  readManifest,
  verificationState,
  writeManifest,
} from '../../../src/core/store';

function manifest(name: string, verifications: Manifest['verifications']): Manifest {
  return {
    formatVersion: 1,
    kind: 'database',
    createdAt: '2026-01-30T02:00:00.000Z',
    tool: { name: 'lifeboat', version: 'test' },
    source: {},
    compression: { format: 'gzip', level: 6 },
    file: { name, bytes: 4, sha256: 'x' }, // the size of the 'data' the tests write
    verifications,
  };
}

describe('listBackups', () => {
  it("lists ours and the runbook's files, newest first, and nothing else", async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-cat-'));
    await fs.mkdir(join(dir, 'database'));
    await fs.mkdir(join(dir, 'config'));
    await fs.mkdir(join(dir, 'volumes'));
    const files = [
      'database/sms_backup_20260130_020000.sql.gz',
      'database/sms_backup_20260129_020000.sql.gz',
      'database/sms_backup_20260131_020000.sql.gz.age',
      'database/.sms_backup_20260201_020000.sql.gz.partial',
      'database/notes.txt',
      'config/config_20260125.tar.gz',
      'volume_sms_postgres_20260129_030000.tar.gz',
      'volumes/volume_sms_postgres_data_20260128_030000.tar.gz',
    ];
    for (const f of files) await fs.writeFile(join(dir, f), 'data');
    await fs.mkdir(join(dir, 'database', 'x_backup_20260101_000000.sql.gz'));
    await writeManifest(join(dir, files[0]), manifest('sms_backup_20260130_020000.sql.gz', [{ at: 'now', depth: 'quick', ok: true }]));

    const entries = await listBackups(dir);
    assert.deepEqual(
      entries.map((e) => [e.fileName, e.kind, e.state, e.encryption ?? '-']),
      [
        ['sms_backup_20260131_020000.sql.gz.age', 'database', 'unverified', 'age'],
        ['sms_backup_20260130_020000.sql.gz', 'database', 'verified', '-'],
        ['volume_sms_postgres_20260129_030000.tar.gz', 'volume', 'unverified', '-'],
        ['sms_backup_20260129_020000.sql.gz', 'database', 'unverified', '-'],
        ['volume_sms_postgres_data_20260128_030000.tar.gz', 'volume', 'unverified', '-'],
        ['config_20260125.tar.gz', 'config', 'unverified', '-'],
      ],
    );
    assert.equal(entries[1].manifest?.file.name, 'sms_backup_20260130_020000.sql.gz');
  });

  it('a file that no longer has the size its manifest recorded (cut off) is failed, whatever its last verification said', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-cat-'));
    const file = join(dir, 'sms_backup_20260130_020000.sql.gz');
    await fs.writeFile(file, 'data');
    await writeManifest(file, manifest('sms_backup_20260130_020000.sql.gz', [{ at: 'now', depth: 'full', ok: true }]));
    assert.equal((await listBackups(dir))[0].state, 'verified');
    await fs.writeFile(file, 'da');
    const [entry] = await listBackups(dir);
    assert.equal(entry.state, 'failed');
    assert.equal(entry.manifestProblem, 'the file is 2 bytes, but its manifest recorded 4 bytes');
  });

  it('the header counts restorable backups apart from failed ones and encrypted copies', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-cat-'));
    const names = [
      'sms_backup_20260130_020000.sql.gz',
      'sms_backup_20260130_020000.sql.gz.age',
      'sms_backup_20260129_020000.sql.gz',
      'sms_backup_20260128_020000.sql.gz.age',
    ];
    for (const n of names) await fs.writeFile(join(dir, n), 'data');
    assert.equal(
      describeBackupCount(await listBackups(dir)),
      '3 backups (1 encrypted copy)',
      'an .age without its plaintext is the backup itself',
    );
    await writeManifest(join(dir, names[2]), manifest(names[2], [{ at: 'now', depth: 'quick', ok: false }]));
    assert.equal(describeBackupCount(await listBackups(dir)), '2 backups (1 failed, 1 encrypted copy)');
    await fs.rm(join(dir, names[1]));
    await fs.rm(join(dir, names[3]));
    assert.equal(describeBackupCount(await listBackups(dir)), '1 backup (1 failed)');
    await fs.rm(join(dir, names[2]));
    assert.equal(describeBackupCount(await listBackups(dir)), '1 backup');
  });

  it('withEncryptedCopies puts an encrypted copy right after its original, even when the copy sorts elsewhere', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-cat-'));
    const names = [
      'sms_backup_20260130_020000.sql.gz',
      'sms_backup_20260130_020000.sql.gz.age',
      'sms_backup_20260129_020000.sql.gz',
      'sms_backup_20260129_020000.sql.gz.enc',
      'sms_backup_20260128_020000.sql.gz.age',
    ];
    for (const n of names) await fs.writeFile(join(dir, n), 'data');
    // The copy of the 29th was made later and its manifest says so: by time alone it would come first.
    await writeManifest(join(dir, names[3]), { ...manifest(names[3], []), createdAt: '2026-01-31T09:00:00.000Z' });
    const listed = await listBackups(dir);
    assert.equal(listed[0].fileName, names[3]);
    const rows = withEncryptedCopies(listed).map((r) => `${r.entry.fileName}${r.original ? ` < ${r.original.fileName}` : ''}`);
    assert.deepEqual(rows, [
      names[0],
      `${names[1]} < ${names[0]}`,
      names[2],
      `${names[3]} < ${names[2]}`,
      names[4], // its plaintext is gone: the backup itself, in its own place
    ]);
  });

  it('is empty for a folder that does not exist yet', async () => {
    assert.deepEqual(await listBackups(join(tmpdir(), 'lb-missing-' + Date.now())), []);
  });
});

describe('manifests', () => {
  it('reports broken and too-new manifests instead of failing the listing', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-man-'));
    const file = join(dir, 'a.sql.gz');
    await fs.writeFile(`${file}.json`, '{ not json');
    assert.match((await readManifest(file)).problem ?? '', /not valid JSON/);
    await fs.writeFile(`${file}.json`, JSON.stringify({ ...manifest('a', []), formatVersion: 99 }));
    assert.match((await readManifest(file)).problem ?? '', /newer/);
    await fs.rm(`${file}.json`);
    assert.deepEqual(await readManifest(file), {});
  });

  it('takes the newest verification as the state', () => {
    assert.equal(verificationState(undefined), 'unverified');
    assert.equal(
      verificationState(
        manifest('a', [
          { at: '1', depth: 'full', ok: true },
          { at: '2', depth: 'quick', ok: false },
        ]),
      ),
      'failed',
    );
  });

  it('writes manifests private', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-man-'));
    await writeManifest(join(dir, 'b.sql.gz'), manifest('b', []));
    assert.equal((await fs.stat(join(dir, 'b.sql.gz.json'))).mode & 0o777, 0o600);
  });
});
