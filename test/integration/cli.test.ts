import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readKeyFile } from '../../src/core/crypto';
import { encryptFile } from '../../src/core/encryption';
import { acquireLock } from '../../src/core/store';
import { REPO, dataFingerprint, databases, demoStack, psql, tempDir } from './harness';
import { CLI, files, lifeboat, project } from './cliRun';

describe('the lifeboat command line (dist/cli.js, real processes, the demo stack)', function () {
  this.timeout(180_000);
  before(async () => {
    await fs.access(CLI).catch(() => {
      throw new Error(`${CLI} is missing: run node scripts/build.mjs`);
    });
    await demoStack();
  });

  it('backup database: exit 0, a verified backup with its manifest, the path on stdout', async () => {
    const folder = await project({});
    const r = await lifeboat(['backup', 'database', '--folder', folder]);
    assert.equal(r.code, 0, r.stderr);
    const dir = join(folder, 'backups', 'database');
    const made = (await files(dir)).filter((f) => f.endsWith('.sql.gz'));
    assert.equal(made.length, 1);
    assert.match(made[0], /^sms_backup_\d{8}_\d{6}\.sql\.gz$/);
    assert.ok(r.stdout.includes(join(dir, made[0])), r.stdout);
    assert.match(r.stdout, /verified \(quick\)/);
    const manifest = JSON.parse(await fs.readFile(join(dir, `${made[0]}.json`), 'utf8'));
    assert.equal(manifest.verifications.at(-1).ok, true);
  });

  it('--quiet prints nothing on success (cron mails only on trouble)', async () => {
    const folder = await project({});
    const r = await lifeboat(['backup', 'config', '--folder', folder, '--quiet']);
    // The temp folder has none of the runbook's config paths: an error, on stderr only.
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /None of the configured config paths exist/);
    // A copy of the demo's config files: backing up the demo folder itself would leave an
    // archive in demo/backups, and tests leave the checkout as they found it.
    const demo = join(REPO, 'demo');
    const before = await files(demo);
    const copy = await project({});
    for (const f of ['docker-compose.yml', '.env']) await fs.copyFile(join(demo, f), join(copy, f));
    const ok = await lifeboat(['backup', 'config', '--folder', copy, '--quiet'], {});
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '');
    assert.equal(ok.stderr, '');
    assert.equal((await files(join(copy, 'backups', 'config'))).filter((f) => f.endsWith('.tar.gz')).length, 1);
    assert.deepEqual(await files(demo), before, 'the demo folder is unchanged');
  });

  it('Docker down: exit 3, says how to fix it, writes nothing', async () => {
    const folder = await project({});
    const r = await lifeboat(['backup', 'database', '--folder', folder], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /Cannot reach the Docker engine/);
    assert.deepEqual(await files(join(folder, 'backups', 'database')), []);
  });

  it('a container name that does not exist: exit 3', async () => {
    const folder = await project({ 'lifeboat.database.container': 'no-such-db' });
    const r = await lifeboat(['backup', 'database', '--folder', folder]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no-such-db/);
  });

  it('another operation holds the lock: exit 4 (retry later), nothing written', async () => {
    const folder = await project({});
    const backups = join(folder, 'backups');
    await fs.mkdir(backups, { mode: 0o700 });
    const lock = await acquireLock(backups, 'sms', 'test holding the lock');
    try {
      const r = await lifeboat(['backup', 'database', '--folder', folder]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /has been working on "sms" \(test holding the lock\) since \d{2}:\d{2}\./);
    } finally {
      await lock.release();
    }
    assert.deepEqual(
      (await files(join(backups, 'database'))).filter((f) => !f.startsWith('.')),
      [],
    );
  });

  it('restore database: a dry run unless --replace names the live database; a wrong name is refused first; the swap keeps the old one', async () => {
    const folder = await project({});
    const made = await lifeboat(['backup', 'database', '--folder', folder, '--json']);
    assert.equal(made.code, 0, made.stderr);
    const file = JSON.parse(made.stdout.trim()).path as string;
    const before = { data: await dataFingerprint('sms-db', 'sms_user', 'sms_db'), dbs: await databases('sms-db', 'sms_user') };

    const dry = await lifeboat(['restore', 'database', file, '--folder', folder]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /^Dry run passed: 6 tables and [\d,]+ rows restored into "sms_db_restore_\d{8}_\d{6}" and matched the backup\.$/m,
    );
    assert.match(dry.stdout, /^Dry run only: "sms_db" was not changed\. To replace it with ".*", run again with --replace sms_db\.$/m);
    assert.deepEqual(await databases('sms-db', 'sms_user'), before.dbs, 'the scratch database is gone and nothing was renamed');

    const wrong = await lifeboat(['restore', 'database', file, '--replace', 'sms', '--folder', folder]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--replace names "sms", but the live database is "sms_db"\./);
    assert.doesNotMatch(wrong.stdout, /Dry run/, 'refused before the dry run');

    const real = await lifeboat(['restore', 'database', file, '--replace', 'sms_db', '--folder', folder]);
    assert.equal(real.code, 0, real.stderr);
    const kept = /The previous database is kept as "(sms_db_pre_restore_\d{8}_\d{6})"\./.exec(real.stdout)?.[1];
    assert.ok(kept, real.stdout);
    try {
      assert.equal(await dataFingerprint('sms-db', 'sms_user', 'sms_db'), before.data, 'the restored database holds what was backed up');
      assert.equal(await dataFingerprint('sms-db', 'sms_user', kept), before.data);
    } finally {
      await psql('sms-db', 'sms_user', 'postgres', `DROP DATABASE IF EXISTS "${kept}" WITH (FORCE)`);
    }
    assert.deepEqual(await databases('sms-db', 'sms_user'), before.dbs);
  });

  it('usage errors exit 2: unknown command, unknown kind, bad flag, bad --depth', async () => {
    for (const args of [['explode'], ['backup', 'everything'], ['status', '--colour'], ['verify', '--depth', 'deep'], []]) {
      const r = await lifeboat(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: lifeboat/);
    }
  });

  it('status: exit 1 with no backups; exit 0 and JSON once a fresh one exists', async () => {
    // Status rightly warns about scratch copies a killed dry run left in the shared demo server
    // (another test or an aborted run); this test is about backups, so it starts without them.
    for (const name of await databases('sms-db', 'sms_user')) {
      if (!/_(restore|verify)_\d{8}_\d{6}$/.test(name)) continue;
      console.log(`      (dropping the leftover scratch database "${name}")`);
      await psql('sms-db', 'sms_user', 'postgres', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
    const folder = await project({});
    const empty = await lifeboat(['status', '--folder', folder]);
    assert.equal(empty.code, 1);
    assert.match(empty.stdout, /Backup status: FAILING \(no database backup\)/);
    assert.equal((await lifeboat(['backup', 'database', '--folder', folder, '--quiet'])).code, 0);
    const r = await lifeboat(['status', '--folder', folder, '--json']);
    assert.equal(r.code, 0, r.stdout);
    const report = JSON.parse(r.stdout);
    assert.equal(report.status, 'ok');
    assert.equal(report.kinds[0].kind, 'database');
    assert.equal(report.kinds[0].count, 1);
    assert.ok(report.disk.freeBytes > 0);
  });

  it('status shows the VS Code schedule (next run from the settings) when it is on', async () => {
    const folder = await project({
      'lifeboat.schedule.enabled': true,
      'lifeboat.schedule.config': '',
      'lifeboat.schedule.volume': '30 4 * * 0',
    });
    const r = await lifeboat(['status', '--folder', folder, '--json']);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(
      report.schedules.map((s: { kind: string; cron: string }) => [s.kind, s.cron]),
      [
        ['database', '0 2 * * *'],
        ['volume', '30 4 * * 0'],
      ],
    );
    const next = new Date(report.schedules[0].next);
    assert.equal(next.getUTCHours(), 2);
    assert.ok(next.getTime() > Date.now() && next.getTime() - Date.now() <= 86_400_000);
    const text = await lifeboat(['status', '--folder', folder]);
    assert.match(text.stdout, /schedule database\s+0 2 \* \* \*: next \d{4}-\d\d-\d\d 02:00 UTC, last –/);
  });

  it('status warns about low disk space from lifeboat.storage.minFreeMB', async () => {
    const folder = await project({ 'lifeboat.storage.minFreeMB': 1024 * 1024 * 1024 });
    const r = await lifeboat(['status', '--folder', folder, '--json']);
    const report = JSON.parse(r.stdout);
    assert.equal(report.disk.low, true);
    assert.ok(
      report.problems.some((p: string) => /low disk space/.test(p)),
      report.problems.join(),
    );
  });

  it('verify reads an .age backup through lifeboat.encryption.keyFile; a wrong or missing key: exit 1, nothing recorded', async () => {
    const keys = await tempDir('cli-key');
    const keyFile = join(keys, 'backup_key');
    await fs.writeFile(keyFile, 'command-line key file passphrase\n', { mode: 0o600 });
    const folder = await project({ 'lifeboat.encryption.keyFile': keyFile });
    assert.equal((await lifeboat(['backup', 'database', '--folder', folder, '--quiet'])).code, 0);
    const dir = join(folder, 'backups', 'database');
    const plain = join(
      dir,
      (await files(dir)).find((f) => f.endsWith('.sql.gz'))!,
    );
    const sealed = (
      await encryptFile(plain, { format: 'age', passphrase: await readKeyFile(keyFile), workFactor: 10, removePlaintext: true })
    ).path;

    const ok = await lifeboat(['verify', sealed, '--folder', folder]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK {6}\S+\.sql\.gz\.age \(quick: decrypts \(age;.*sha256 of the decrypted content matches the manifest/m);
    assert.deepEqual(await files(dir), [`${plain.split('/').pop()}.age`, `${plain.split('/').pop()}.age.json`], 'no plaintext written');

    const manifest = await fs.readFile(`${sealed}.json`, 'utf8');
    await fs.writeFile(keyFile, 'not the passphrase\n');
    const wrong = await lifeboat(['verify', sealed, '--folder', folder]);
    assert.equal(wrong.code, 1, wrong.stdout + wrong.stderr);
    assert.match(wrong.stdout, /^FAILED {2}\S+\.age \(quick\): not verified, the key does not open it: \S+: wrong passphrase/m);
    assert.ok(!wrong.stdout.includes('not the passphrase'));

    const keyless = await project({ 'lifeboat.backupDirectory': join(folder, 'backups') });
    const none = await lifeboat(['verify', sealed, '--folder', keyless]);
    assert.equal(none.code, 1);
    assert.match(none.stdout, /no key file is set/);
    assert.equal(await fs.readFile(`${sealed}.json`, 'utf8'), manifest, 'a key problem records nothing');
  });

  describe('prune and verify on a folder of old backups', () => {
    let folder: string;
    let dir: string;
    before(async () => {
      // VS Code merges an object setting into its default, so the runbook's 30 days stay unless set: 0 turns the age rule off.
      folder = await project({ 'lifeboat.retention.database': { maxAgeDays: 0, keepLast: 2 } });
      for (let i = 0; i < 4; i++) assert.equal((await lifeboat(['backup', 'database', '--folder', folder, '--quiet'])).code, 0);
      dir = join(folder, 'backups', 'database');
      await fs.writeFile(join(dir, 'notes.txt'), 'mine');
      await fs.writeFile(join(dir, 'sms_backup_before-upgrade.sql.gz'), 'mine too');
    });

    it('prune --dry-run shows every decision with its reason and deletes nothing', async () => {
      const before = await files(dir);
      const r = await lifeboat(['prune', '--dry-run', '--folder', folder]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /database sms: 0 days, last 2/);
      assert.equal((r.stdout.match(/would delete/g) ?? []).length, 2);
      assert.match(r.stdout, /keep .*newest verified backup/);
      assert.match(r.stdout, /Would delete 2 of 4/);
      assert.deepEqual(await files(dir), before);
    });

    it('an invalid retention setting: exit 2, names the setting, deletes nothing', async () => {
      const bad = await project({ 'lifeboat.backupDirectory': join(folder, 'backups'), 'lifeboat.retention.database': { keepLast: -1 } });
      const before = await files(dir);
      const r = await lifeboat(['prune', '--folder', bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /lifeboat\.retention\.database is .*"keepLast" must be a whole number/);
      assert.deepEqual(await files(dir), before);
    });

    it('prune: deletes the two oldest with their manifests, keeps foreign files', async () => {
      const r = await lifeboat(['prune', '--folder', folder]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Deleted 2 backups/);
      const left = await files(dir);
      assert.equal(left.filter((f) => f.endsWith('.sql.gz')).length, 2 + 1, left.join());
      assert.equal(left.filter((f) => f.endsWith('.sql.gz.json')).length, 2);
      assert.ok(left.includes('notes.txt') && left.includes('sms_backup_before-upgrade.sql.gz'));
    });

    it('verify: exit 0 for good files, exit 1 naming the file with a flipped byte', async () => {
      const good = await lifeboat(['verify', '--all', '--folder', folder]);
      assert.equal(good.code, 0, good.stdout + good.stderr);
      assert.equal((good.stdout.match(/^OK /gm) ?? []).length, 2);
      const victim = join(dir, (await files(dir)).filter((f) => /_backup_\d{8}_\d{6}\.sql\.gz$/.test(f))[0]);
      const bytes = await fs.readFile(victim);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      await fs.writeFile(victim, bytes);
      const bad = await lifeboat(['verify', victim, '--folder', folder]);
      assert.equal(bad.code, 1);
      assert.ok(bad.stdout.includes(`FAILED  ${victim}`), bad.stdout);
    });

    it('verify --depth full: a test restore of the newest database backup', async () => {
      const r = await lifeboat(['verify', '--depth', 'full', '--folder', folder, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const db = lines.find((l) => /\.sql\.gz$/.test(l.path));
      assert.equal(db.depth, 'full');
      assert.ok(
        db.checks.some((c: string) => /row counts|restore/i.test(c)),
        db.checks.join(),
      );
    });
  });
});
