import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveConfig, configArchiveName, ConfigManifest, DEFAULT_CONFIG_PATHS } from '../../../src/core/config';
import { CancelledError, LifeboatError, LockedError, ProgressUpdate } from '../../../src/core/common';
import { acquireLock, parseBackupName } from '../../../src/core/store';
import { listTarGz } from '../../support/tarList';
import { NOW, T2, makeWorkspace } from '../../support/configWorkspace';

describe('archiveConfig', () => {
  let root: string;
  let ws: string;
  let backupDir: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-cfg-'));
    ws = await makeWorkspace(root);
    backupDir = join(root, 'backups');
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('archives the runbook list: sorted, modes, mtimes, links kept, missing reported, 0600, manifest', async () => {
    const phases: ProgressUpdate[] = [];
    const res = await archiveConfig({ backupDir, workspace: ws, now: NOW, project: 'sms', progress: (p) => phases.push(p) });
    assert.equal(res.path, join(backupDir, 'config', 'config_20240102_030405.tar.gz'));
    assert.equal(parseBackupName('config_20240102_030405.tar.gz')?.kind, 'config');
    assert.deepEqual(res.missing, ['.env.production.SECURE']);
    assert.deepEqual(res.skipped, []);
    assert.equal((await fs.stat(res.path)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(join(backupDir, 'config'))).mode & 0o777, 0o700);
    assert.deepEqual((await fs.readdir(join(backupDir, 'config'))).sort(), [
      'config_20240102_030405.tar.gz',
      'config_20240102_030405.tar.gz.json',
    ]);
    // The lock is gone.
    assert.deepEqual((await fs.readdir(backupDir)).sort(), ['config']);

    const entries = await listTarGz(res.path);
    assert.deepEqual(
      entries.map((e) => `${e.type} ${e.name}`),
      [
        'file docker-compose.yml',
        'file .env',
        'file docker/nginx.conf',
        'directory backend/alembic/versions/',
        'file backend/alembic/versions/001_init.py',
        'file backend/alembic/versions/002_users.py',
        'directory backend/alembic/versions/emptydir/',
        'symlink backend/alembic/versions/latest.py',
        'directory backend/alembic/versions/sub/',
        'file backend/alembic/versions/sub/003_deep.py',
        'file backend/alembic/versions/sub/empty.py',
      ],
    );
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(byName.get('.env')!.mode, 0o600);
    assert.equal(byName.get('.env')!.mtime, T2.getTime());
    assert.equal(byName.get('docker/nginx.conf')!.mode, 0o640);
    assert.equal(byName.get('backend/alembic/versions/002_users.py')!.mode, 0o755);
    assert.equal(byName.get('backend/alembic/versions/sub/')!.mtime, T2.getTime());
    assert.equal(byName.get('docker-compose.yml')!.data.toString(), 'services:\n  db:\n    image: postgres:16\n');

    const manifest = JSON.parse(await fs.readFile(`${res.path}.json`, 'utf8')) as ConfigManifest;
    assert.equal(manifest.kind, 'config');
    assert.equal(manifest.source.project, 'sms');
    const file = await fs.readFile(res.path);
    assert.equal(manifest.file.bytes, file.length);
    assert.equal(manifest.file.sha256, createHash('sha256').update(file).digest('hex'));
    assert.deepEqual(manifest.missing, ['.env.production.SECURE']);
    const env = manifest.entries.find((e) => e.path === '.env')!;
    assert.deepEqual(env, {
      path: '.env',
      type: 'file',
      size: 26,
      mode: 0o600,
      mtime: T2.toISOString(),
      sha256: createHash('sha256').update('POSTGRES_PASSWORD=hunter2\n').digest('hex'),
    });
    assert.deepEqual(
      manifest.entries.find((e) => e.type === 'symlink'),
      {
        path: 'backend/alembic/versions/latest.py',
        type: 'symlink',
        size: 0,
        mode: manifest.entries.find((e) => e.type === 'symlink')!.mode,
        mtime: manifest.entries.find((e) => e.type === 'symlink')!.mtime,
        target: '001_init.py',
      },
    );
    assert.equal(manifest.entries.length, 11);
    // Secrets stay out of the manifest (contract 8 in docs/contracts.md): only hashes.
    assert.doesNotMatch(JSON.stringify(manifest), /hunter2/);

    const last = phases.at(-1)!;
    assert.match(last.phase, /7 of 7 files/);
    assert.equal(last.bytes, last.total);
  });

  it('refuses config paths that leave the workspace, absolute or through a link', async () => {
    await assert.rejects(archiveConfig({ backupDir, workspace: ws, paths: ['../x'] }), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, /"\.\.\/x" leaves the workspace/);
      return true;
    });
    await assert.rejects(archiveConfig({ backupDir, workspace: ws, paths: ['docker/../../x'] }), /leaves the workspace/);
    await assert.rejects(archiveConfig({ backupDir, workspace: ws, paths: ['/etc/passwd'] }), /is absolute/);
    await fs.mkdir(join(root, 'outside'));
    await fs.writeFile(join(root, 'outside', 'secret.conf'), 'x');
    await fs.symlink(join(root, 'outside'), join(ws, 'elsewhere'));
    await assert.rejects(
      archiveConfig({ backupDir, workspace: ws, paths: ['elsewhere/secret.conf'] }),
      /symbolic link that leaves the workspace/,
    );
    // Nothing was written.
    assert.deepEqual(await fs.readdir(join(backupDir, 'config')).catch(() => []), []);
  });

  it('leaves out links that point outside the workspace, and says so', async () => {
    await fs.symlink('/etc/passwd', join(ws, 'backend/alembic/versions/abs-link'));
    await fs.symlink('../../../../outside', join(ws, 'backend/alembic/versions/up-link'));
    const res = await archiveConfig({ backupDir, workspace: ws, now: NOW });
    assert.deepEqual(
      res.skipped.map((s) => s.path),
      ['backend/alembic/versions/abs-link', 'backend/alembic/versions/up-link'],
    );
    assert.match(res.skipped[0].reason, /outside the folder/);
    const names = (await listTarGz(res.path)).map((e) => e.name);
    assert.ok(!names.some((n) => n.includes('abs-link') || n.includes('up-link')));
  });

  it('says when none of the paths exist', async () => {
    await assert.rejects(archiveConfig({ backupDir, workspace: ws, paths: ['nope.yml'] }), /None of the configured config paths exist/);
  });

  it('names a second archive of the same second one second later', async () => {
    const a = await archiveConfig({ backupDir, workspace: ws, now: NOW });
    const b = await archiveConfig({ backupDir, workspace: ws, now: NOW });
    assert.notEqual(a.path, b.path);
    assert.ok(b.path.endsWith(configArchiveName(new Date(NOW().getTime() + 1000))));
  });

  it('waits its turn: a held lock refuses', async () => {
    await fs.mkdir(backupDir, { recursive: true });
    const held = await acquireLock(backupDir, 'sms', 'database backup');
    try {
      await assert.rejects(archiveConfig({ backupDir, workspace: ws, project: 'sms' }), LockedError);
    } finally {
      await held.release();
    }
  });

  it('archives a folder of 3000 small files with progress per file', async function () {
    this.timeout(60000);
    const many = join(ws, 'many');
    for (let d = 0; d < 30; d++) {
      await fs.mkdir(join(many, `d${String(d).padStart(2, '0')}`), { recursive: true });
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          fs.writeFile(join(many, `d${String(d).padStart(2, '0')}`, `f${String(i).padStart(3, '0')}.conf`), `key=${d}-${i}\n`),
        ),
      );
    }
    const updates: ProgressUpdate[] = [];
    const t0 = process.hrtime.bigint();
    const res = await archiveConfig({ backupDir, workspace: ws, paths: ['many'], now: NOW, progress: (p) => updates.push(p) });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`      3000 files archived in ${ms.toFixed(0)} ms`);
    assert.equal(res.manifest.entries.filter((e) => e.type === 'file').length, 3000);
    assert.equal(res.manifest.entries.length, 3031);
    assert.ok(updates.some((u) => /1,500 of 3,000 files/.test(u.phase)));
    assert.match(updates.at(-1)!.phase, /3,000 of 3,000 files/);
    assert.equal((await listTarGz(res.path)).length, 3031);
  });

  it('streams a large file with flat memory', async function () {
    this.timeout(60000);
    // Sparse: 512 MiB on the path, nothing on the disk.
    const big = join(ws, 'big.bin');
    const h = await fs.open(big, 'w');
    await h.truncate(512 * 1024 * 1024);
    await h.close();
    const before = process.resourceUsage().maxRSS;
    const t0 = Date.now();
    const res = await archiveConfig({ backupDir, workspace: ws, paths: ['big.bin'], now: NOW });
    const grewMiB = (process.resourceUsage().maxRSS - before) / 1024;
    console.log(`      512 MiB file archived in ${Date.now() - t0} ms, peak RSS grew ${grewMiB.toFixed(0)} MiB`);
    assert.ok(grewMiB < 120, `peak RSS grew ${grewMiB} MiB`);
    assert.equal(res.manifest.entries[0].size, 512 * 1024 * 1024);
  });

  it('a cancel midway removes the partial file and the lock', async function () {
    this.timeout(60000);
    const big = join(ws, 'big.bin');
    const h = await fs.open(big, 'w');
    for (let i = 0; i < 64; i++) await h.write(Buffer.alloc(1 << 20, i));
    await h.close();
    const ac = new AbortController();
    let sawPartial = false;
    await assert.rejects(
      archiveConfig({
        backupDir,
        workspace: ws,
        paths: ['big.bin', ...DEFAULT_CONFIG_PATHS],
        now: NOW,
        signal: ac.signal,
        progress: (p) => {
          if ((p.bytes ?? 0) > 8 << 20 && !ac.signal.aborted) {
            sawPartial = readdirSync(join(backupDir, 'config')).some((x) => x.endsWith('.partial'));
            ac.abort();
          }
        },
      }),
      CancelledError,
    );
    assert.ok(sawPartial, 'the partial file existed during the run');
    assert.deepEqual(await fs.readdir(join(backupDir, 'config')), []);
    assert.deepEqual(await fs.readdir(backupDir), ['config']);
  });

  it('a cancel before the start writes nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(archiveConfig({ backupDir, workspace: ws, signal: ac.signal }), CancelledError);
  });
});
