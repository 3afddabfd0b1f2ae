import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFiles, archiveConfig, compareWithWorkspace } from '../../../src/core/config';
import { removeStaging, safeExtract } from '../../../src/core/archive';
import { NOW, T2, makeWorkspace } from '../../support/configWorkspace';

describe('config round trip: archive, extract, compare, apply', () => {
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

  it('extracts what was archived, with the archived modes and mtimes', async () => {
    const res = await archiveConfig({ backupDir, workspace: ws, now: NOW });
    const staged = await safeExtract(res.path, { stagingDir: join(root, 'staging') });
    try {
      const m = new Map(res.manifest.entries.map((e) => [e.path, e]));
      assert.equal(staged.entries.length, m.size);
      for (const e of staged.entries) {
        const rec = m.get(e.path)!;
        assert.ok(rec, e.path);
        assert.equal(e.type, rec.type, e.path);
        assert.equal(e.mode, rec.mode, e.path);
        assert.equal(e.mtime.toISOString(), rec.mtime, e.path);
        assert.equal(e.sha256, rec.sha256, e.path);
        const wsStat = await fs.lstat(join(ws, e.path));
        assert.equal(e.mode, wsStat.mode & 0o7777, e.path);
        if (e.type !== 'symlink') assert.equal(e.mtime.getTime(), Math.floor(wsStat.mtimeMs / 1000) * 1000, e.path);
      }
      assert.equal(staged.archiveSha256, res.manifest.file.sha256);
      assert.equal(await fs.readlink(join(staged.dir, 'backend/alembic/versions/latest.py')), '001_init.py');
      assert.equal(await fs.readFile(join(staged.dir, '.env'), 'utf8'), 'POSTGRES_PASSWORD=hunter2\n');
      const cmp = await compareWithWorkspace(staged.dir, ws, staged.entries);
      assert.ok(
        cmp.every((c) => c.status === 'identical'),
        JSON.stringify(cmp.filter((c) => c.status !== 'identical')),
      );
      assert.equal(cmp.length, 8);
    } finally {
      await removeStaging(staged.dir);
    }
  });

  it('compares changed, new and identical files, and applies with .bak numbering', async () => {
    const res = await archiveConfig({ backupDir, workspace: ws, now: NOW });
    const staged = await safeExtract(res.path, { stagingDir: join(root, 'staging') });
    try {
      await fs.writeFile(join(ws, '.env'), 'POSTGRES_PASSWORD=changed\n');
      await fs.chmod(join(ws, '.env'), 0o644);
      await fs.rm(join(ws, 'docker'), { recursive: true });
      await fs.chmod(join(ws, 'docker-compose.yml'), 0o600);
      await fs.rm(join(ws, 'backend/alembic/versions/latest.py'));
      await fs.symlink('002_users.py', join(ws, 'backend/alembic/versions/latest.py'));
      const cmp = new Map((await compareWithWorkspace(staged.dir, ws, staged.entries)).map((c) => [c.path, c]));
      assert.deepEqual([cmp.get('.env')!.status, cmp.get('.env')!.reason], ['changed', 'content']);
      assert.equal(cmp.get('.env')!.workspaceMode, 0o644);
      assert.equal(cmp.get('docker/nginx.conf')!.status, 'new');
      assert.deepEqual([cmp.get('docker-compose.yml')!.status, cmp.get('docker-compose.yml')!.reason], ['changed', 'mode']);
      assert.deepEqual(
        [cmp.get('backend/alembic/versions/latest.py')!.status, cmp.get('backend/alembic/versions/latest.py')!.reason],
        ['changed', 'target'],
      );
      assert.equal(cmp.get('backend/alembic/versions/001_init.py')!.status, 'identical');

      const applied = await applyFiles(staged.dir, ws, ['.env', 'docker/nginx.conf', 'backend/alembic/versions/latest.py'], staged.entries);
      assert.deepEqual(applied, [
        { path: '.env', action: 'replaced', backup: join(await fs.realpath(ws), '.env.bak') },
        { path: 'docker/nginx.conf', action: 'created', backup: undefined },
        {
          path: 'backend/alembic/versions/latest.py',
          action: 'replaced',
          backup: join(await fs.realpath(ws), 'backend/alembic/versions/latest.py.bak'),
        },
      ]);
      assert.equal(await fs.readFile(join(ws, '.env'), 'utf8'), 'POSTGRES_PASSWORD=hunter2\n');
      assert.equal(await fs.readFile(join(ws, '.env.bak'), 'utf8'), 'POSTGRES_PASSWORD=changed\n');
      const envStat = await fs.stat(join(ws, '.env'));
      assert.equal(envStat.mode & 0o777, 0o600);
      assert.equal(envStat.mtimeMs, T2.getTime());
      assert.equal((await fs.stat(join(ws, 'docker/nginx.conf'))).mode & 0o777, 0o640);
      assert.equal(await fs.readlink(join(ws, 'backend/alembic/versions/latest.py')), '001_init.py');
      assert.equal(await fs.readlink(join(ws, 'backend/alembic/versions/latest.py.bak')), '002_users.py');
      // No temporary files left.
      assert.deepEqual(
        (await fs.readdir(ws)).filter((n) => n.includes('lifeboat')),
        [],
      );

      // Again: .bak is taken, so .bak.1, then .bak.2.
      await fs.writeFile(join(ws, '.env'), 'second\n');
      await applyFiles(staged.dir, ws, ['.env'], staged.entries);
      await fs.writeFile(join(ws, '.env'), 'third\n');
      const third = await applyFiles(staged.dir, ws, ['.env'], staged.entries);
      assert.equal(third[0].backup, join(await fs.realpath(ws), '.env.bak.2'));
      assert.equal(await fs.readFile(join(ws, '.env.bak'), 'utf8'), 'POSTGRES_PASSWORD=changed\n');
      assert.equal(await fs.readFile(join(ws, '.env.bak.1'), 'utf8'), 'second\n');
      assert.equal(await fs.readFile(join(ws, '.env.bak.2'), 'utf8'), 'third\n');
      const after = new Map((await compareWithWorkspace(staged.dir, ws, staged.entries)).map((c) => [c.path, c.status]));
      assert.equal(after.get('.env'), 'identical');
      assert.equal(after.get('docker/nginx.conf'), 'identical');
    } finally {
      await removeStaging(staged.dir);
    }
  });

  it('refuses to apply outside the workspace, through a link, or over a folder, before writing anything', async () => {
    const res = await archiveConfig({ backupDir, workspace: ws, now: NOW });
    const staged = await safeExtract(res.path, { stagingDir: join(root, 'staging') });
    try {
      await fs.writeFile(join(ws, '.env'), 'local\n');
      await assert.rejects(applyFiles(staged.dir, ws, ['.env', '../escape'], staged.entries), /Refused to apply "\.\.\/escape"/);
      await assert.rejects(applyFiles(staged.dir, ws, ['/etc/passwd'], staged.entries), /absolute path/);
      await assert.rejects(applyFiles(staged.dir, ws, ['not-archived.txt'], staged.entries), /no file or link of that name/);
      // `docker` becomes a link to a folder outside the workspace.
      await fs.rm(join(ws, 'docker'), { recursive: true });
      await fs.mkdir(join(root, 'outside'));
      await fs.symlink(join(root, 'outside'), join(ws, 'docker'));
      await assert.rejects(applyFiles(staged.dir, ws, ['.env', 'docker/nginx.conf'], staged.entries), /outside the workspace/);
      await fs.rm(join(ws, '.env'));
      await fs.mkdir(join(ws, '.env'));
      await assert.rejects(applyFiles(staged.dir, ws, ['.env'], staged.entries), /has a folder of that name/);
      assert.deepEqual(await fs.readdir(join(root, 'outside')), []);
      assert.ok(!(await fs.readdir(ws)).some((n) => n.endsWith('.bak')));
    } finally {
      await removeStaging(staged.dir);
    }
  });

  it('extracts a 3000-file archive', async function () {
    this.timeout(60000);
    const many = join(ws, 'many');
    for (let d = 0; d < 30; d++) {
      await fs.mkdir(join(many, `d${d}`), { recursive: true });
      await Promise.all(Array.from({ length: 100 }, (_, i) => fs.writeFile(join(many, `d${d}`, `f${i}.conf`), `k=${i}\n`)));
    }
    const res = await archiveConfig({ backupDir, workspace: ws, paths: ['many'], now: NOW });
    const t0 = process.hrtime.bigint();
    const staged = await safeExtract(res.path, { stagingDir: join(root, 'staging') });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const t1 = process.hrtime.bigint();
    const cmp = await compareWithWorkspace(staged.dir, ws, staged.entries);
    const cmpMs = Number(process.hrtime.bigint() - t1) / 1e6;
    console.log(`      3000 files extracted in ${ms.toFixed(0)} ms, compared in ${cmpMs.toFixed(0)} ms`);
    assert.equal(staged.entries.length, 3031);
    assert.equal(cmp.filter((c) => c.status === 'identical').length, 3000);
    await removeStaging(staged.dir);
  });
});
