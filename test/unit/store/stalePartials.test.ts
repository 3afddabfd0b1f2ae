import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { archiveConfig } from '../../../src/core/config';
import { backupDatabase } from '../../../src/core/database';
import type { Stack } from '../../../src/core/stack';
import { LockedError } from '../../../src/core/common';
import type { Logger } from '../../../src/core/common';
import { sweepStalePartials } from '../../../src/core/store';

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    tool: () => {},
  };
}

const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const lockOf = (pid: number, operation: string) =>
  JSON.stringify({ pid, host: hostname(), operation, startedAt: new Date().toISOString() });

const stack: Stack = {
  project: 'sms',
  db: { id: 'fake', name: 'sms-db', user: 'sms_user', database: 'sms_db' } as Stack['db'],
  apps: [],
  volumes: [],
};

/** An engine whose database container runs but whose exec fails: the backup gets past its startup, then stops. */
const fakeDocker = {
  getContainer: () => ({
    inspect: async () => ({ State: { Running: true, Status: 'running' }, Config: { Image: 'postgres' } }),
    exec: async () => {
      throw new Error('no engine in this test');
    },
  }),
} as unknown as Docker;

describe('stale partial files of killed backups', () => {
  let root: string;
  let db: string;
  const MiB = Buffer.alloc(1024 * 1024, 7);
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-partials-'));
    db = join(root, 'database');
    await fs.mkdir(db, { recursive: true });
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('the next database backup removes the partial of a killed one (stale lock of a dead process), and says how much it freed', async () => {
    const partial = join(db, '.sms_backup_20260201_020000.sql.gz.partial');
    await fs.writeFile(partial, Buffer.concat([MiB, MiB]));
    await fs.writeFile(join(root, '.lifeboat-sms.lock'), lockOf(deadPid(), 'database backup'));
    // Not ours to touch: another series, an Encrypt's and a Decrypt's partials (they take no lock), a complete backup.
    const keep = [
      '.other_backup_20260201_020000.sql.gz.partial',
      '.sms_backup_20260101_020000.sql.gz.age.partial',
      '.sms_backup_20260102_020000.sql.gz.partial',
      'sms_backup_20260102_020000.sql.gz.age',
    ];
    for (const k of keep) await fs.writeFile(join(db, k), 'x');
    const log = recorder();
    await assert.rejects(backupDatabase(fakeDocker, stack, { backupDir: root, logger: log }), /no engine in this test/);
    assert.equal(existsSync(partial), false, 'the stale partial is gone');
    assert.ok(log.lines.includes(`Removed ${partial}, left by an interrupted database backup: 2.0 MB freed.`), log.lines.join('\n'));
    assert.deepEqual((await fs.readdir(db)).sort(), [...keep].sort());
    assert.equal(existsSync(join(root, '.lifeboat-sms.lock')), false, 'the lock was taken over and released');
  });

  it('keeps the partial while a live process holds the lock: the backup is refused instead', async () => {
    const partial = join(db, '.sms_backup_20260201_020000.sql.gz.partial');
    await fs.writeFile(partial, MiB);
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      await fs.writeFile(join(root, '.lifeboat-sms.lock'), lockOf(live.pid!, 'database backup'));
      await assert.rejects(
        backupDatabase(fakeDocker, stack, { backupDir: root, logger: recorder() }),
        (err: Error) => err instanceof LockedError,
      );
      assert.equal((await fs.stat(partial)).size, MiB.length);
    } finally {
      live.kill();
    }
  });

  it('keeps partials while another live Lifeboat process writes backups of the kind in the folder', async () => {
    const partial = join(db, '.sms_backup_20260201_020000.sql.gz.partial');
    await fs.writeFile(partial, MiB);
    const ours = join(root, '.lifeboat-sms.lock');
    await fs.writeFile(ours, lockOf(process.pid, 'database backup'));
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      // Another stack whose backups use the same prefix, backing up right now.
      await fs.writeFile(join(root, '.lifeboat-sms2.lock'), lockOf(live.pid!, 'database backup'));
      const log = recorder();
      const swept = await sweepStalePartials({ backupDir: root, dir: db, kind: 'database', subject: 'sms', ownLock: ours, logger: log });
      assert.deepEqual(swept, { removed: [], bytes: 0 });
      assert.ok(existsSync(partial));
      assert.match(
        log.lines.join('\n'),
        new RegExp(
          `Kept 1 partial file\\(s\\) in .*: another Lifeboat process may be writing them \\(database backup, process ${live.pid}`,
        ),
      );
      // A volume snapshot elsewhere does not write database partials.
      await fs.writeFile(join(root, '.lifeboat-sms2.lock'), lockOf(live.pid!, 'volume snapshot'));
      const again = await sweepStalePartials({ backupDir: root, dir: db, kind: 'database', subject: 'sms', ownLock: ours, logger: log });
      assert.deepEqual(again, { removed: [partial], bytes: MiB.length });
    } finally {
      live.kill();
    }
  });

  it("the next config archive removes a killed one's partial", async () => {
    const ws = join(root, 'ws');
    await fs.mkdir(ws);
    await fs.writeFile(join(ws, 'docker-compose.yml'), 'services: {}\n');
    const config = join(root, 'backups', 'config');
    await fs.mkdir(config, { recursive: true });
    const partial = join(config, '.config_20260201_020000.tar.gz.partial');
    await fs.writeFile(partial, MiB);
    await fs.writeFile(join(root, 'backups', '.lifeboat-sms.lock'), lockOf(deadPid(), 'config archive'));
    const log = recorder();
    const made = await archiveConfig({
      backupDir: join(root, 'backups'),
      workspace: ws,
      paths: ['docker-compose.yml'],
      project: 'sms',
      logger: log,
    });
    assert.equal(existsSync(partial), false);
    assert.ok(log.lines.includes(`Removed ${partial}, left by an interrupted config backup: 1.0 MB freed.`), log.lines.join('\n'));
    assert.deepEqual(
      (await fs.readdir(config)).filter((n) => n.startsWith('.')),
      [],
    );
    assert.ok(existsSync(made.path));
  });
});
