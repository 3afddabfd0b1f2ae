import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, interruptedStops, removeStoppedRecord, stoppedRecord } from '../../../src/core/store';
import { buildStatusReport, leftStoppedNotice, renderStatusText } from '../../../src/core/reports';
import { dropScratchCommand } from '../../../src/core/database';

describe('stoppedRecord: the containers an operation stopped, next to its lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-stopped-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('is written before each stop, removed when all run again, and never reported while its writer lives', async () => {
    const lock = await acquireLock(dir, 'sms', 'database restore');
    const rec = stoppedRecord(lock, 'database restore');
    assert.equal(rec.path, join(dir, '.lifeboat-sms.stopped.json'));
    await rec.note(['sms-web']);
    await rec.note(['sms-web', 'sms-worker']);
    const written = JSON.parse(await fs.readFile(rec.path, 'utf8'));
    assert.deepEqual(written.stopped, ['sms-web', 'sms-worker']);
    assert.equal(written.pid, process.pid);
    assert.equal(written.operation, 'database restore');
    assert.deepEqual(await interruptedStops(dir), [], 'this process still runs: nothing interrupted');
    await rec.clear();
    await lock.release();
    assert.deepEqual(await fs.readdir(dir), []);
    // An empty list means nothing is down: no record at all.
    const again = await acquireLock(dir, 'sms', 'database restore');
    await stoppedRecord(again, 'database restore').note([]);
    await again.release();
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it("outlives a takeover of the lock by another operation, and names a dead writer's containers", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const record = { pid: dead, host: hostname(), operation: 'database restore', startedAt: '2026-11-27T19:46:31Z', stopped: ['sms-web'] };
    await fs.writeFile(join(dir, '.lifeboat-sms.lock'), JSON.stringify({ ...record, stopped: undefined }));
    await fs.writeFile(join(dir, '.lifeboat-sms.stopped.json'), JSON.stringify(record));
    // A backup takes the dead process's lock over: the record stays.
    const backup = await acquireLock(dir, 'sms', 'database backup');
    assert.equal(backup.previous?.pid, dead);
    await backup.release();
    const found = await interruptedStops(dir);
    assert.deepEqual(found, [{ ...record, path: join(dir, '.lifeboat-sms.stopped.json') }]);
    // Narrowed to one lock: another stack's lock does not see it.
    const other = await acquireLock(dir, 'other', 'database restore');
    assert.deepEqual(await interruptedStops(dir, other), []);
    await other.release();
    const same = await acquireLock(dir, 'sms', 'database restore');
    assert.equal((await interruptedStops(dir, same)).length, 1);
    await same.release();
    await removeStoppedRecord(found[0].path);
    assert.deepEqual(await interruptedStops(dir), []);
  });

  it("a volume's snapshot or restore names the volume in its record, next to the volume's lock", async () => {
    const lock = await acquireLock(dir, 'volume_sms_postgres_data', 'volume restore');
    const rec = stoppedRecord(lock, 'volume restore', { volume: 'sms_postgres_data' });
    assert.equal(rec.path, join(dir, '.lifeboat-volume_sms_postgres_data.stopped.json'));
    await rec.note(['sms-web', 'sms-db']);
    const written = JSON.parse(await fs.readFile(rec.path, 'utf8'));
    assert.equal(written.volume, 'sms_postgres_data');
    assert.deepEqual(written.stopped, ['sms-web', 'sms-db']);
    await rec.clear();
    await lock.release();
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it("a writer's clear leaves a dead writer's record alone until it has written its own", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const left = { pid: dead, host: hostname(), operation: 'volume snapshot', startedAt: '', stopped: ['db'], volume: 'v' };
    const path = join(dir, '.lifeboat-volume_v.stopped.json');
    await fs.writeFile(path, JSON.stringify(left));
    const lock = await acquireLock(dir, 'volume_v', 'volume snapshot');
    const rec = stoppedRecord(lock, 'volume snapshot', { volume: 'v' });
    // A run that failed before it stopped anything (its takeover refused, say) clears in its finally.
    await rec.clear();
    await rec.note([]);
    assert.deepEqual(await interruptedStops(dir, lock), [{ ...left, path }], "the dead run's containers are still named");
    await rec.note(['db']);
    await rec.clear();
    await lock.release();
    assert.deepEqual(await fs.readdir(dir), [], 'its own record, once written, is its to remove');
  });

  it('skips unreadable, foreign and empty records', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await fs.writeFile(join(dir, '.lifeboat-a.stopped.json'), '{not json');
    await fs.writeFile(join(dir, '.lifeboat-b.stopped.json'), JSON.stringify({ pid: dead, host: hostname(), stopped: [] }));
    await fs.writeFile(join(dir, '.lifeboat-c.stopped.json'), JSON.stringify({ pid: dead, host: 'elsewhere', stopped: ['x'] }));
    await fs.writeFile(join(dir, 'sms.stopped.json'), JSON.stringify({ pid: dead, host: hostname(), stopped: ['x'] }));
    assert.deepEqual(await interruptedStops(dir), []);
    assert.deepEqual(await interruptedStops(join(dir, 'missing')), []);
  });

  it('the status report needs attention while a container is left stopped, and says how to start it', () => {
    const left = { down: ['sms-web'], operation: 'database restore', pid: 4321, startedAt: '2026-11-27T19:46:31Z' };
    assert.equal(
      leftStoppedNotice(left),
      '"sms-web" was stopped by an interrupted database restore (process 4321, started 2026-11-27 19:46 UTC) and is still stopped. Start it with "docker start sms-web".',
    );
    const report = buildStatusReport({
      backupDir: dir,
      entries: [],
      now: new Date('2026-11-27T20:00:00Z'),
      maxAgeHours: 24,
      minFreeBytes: 0,
      leftStopped: [left],
    });
    assert.ok(report.problems.includes('"sms-web" left stopped by an interrupted database restore'), report.problems.join('; '));
    assert.notEqual(report.status, 'ok');
    assert.match(renderStatusText(report), /\n {2}Left stopped: "sms-web" was stopped .* Start it with "docker start sms-web"\.\n/);
  });

  it('after an interrupted volume restore, several containers left stopped are "them", with the warning that docker start does not check', () => {
    const text = leftStoppedNotice({
      down: ['sms-db', 'sms-web'],
      operation: 'volume restore',
      pid: 4321,
      startedAt: '2026-11-27T19:46:31Z',
      volume: 'sms_postgres_data',
    });
    assert.equal(
      text,
      '"sms-db" and "sms-web" were stopped by an interrupted volume restore of "sms_postgres_data" (process 4321, started 2026-11-27 19:46 UTC) and are still stopped. A snapshot or restore of "sms_postgres_data" starts them once it has checked that the restore left the volume whole; "docker start sms-db sms-web" does not check.',
    );
  });

  it('status lists scratch databases with a command that drops them, quoted for the shell and for SQL', () => {
    const command = dropScratchCommand('sms-db', 'sms_user', ['sms_db_restore_20261127_194631', `o'x"y_restore_20261127_194631`]);
    assert.equal(
      command,
      `docker exec sms-db psql -U sms_user -d postgres -c 'DROP DATABASE "sms_db_restore_20261127_194631"' -c 'DROP DATABASE "o'\\''x""y_restore_20261127_194631"'`,
    );
    const report = buildStatusReport({
      backupDir: dir,
      entries: [],
      now: new Date('2026-11-27T20:00:00Z'),
      maxAgeHours: 24,
      minFreeBytes: 0,
      scratch: { names: ['sms_db_restore_20261127_194631'], dropCommand: 'docker exec …' },
    });
    assert.ok(report.problems.includes('1 scratch database left by interrupted dry runs'), report.problems.join('; '));
    assert.match(
      renderStatusText(report),
      /\n {2}Scratch databases: "sms_db_restore_20261127_194631" \(copies left by interrupted dry runs; the live database is not among them\)\. Drop them with: docker exec …\n/,
    );
  });
});
