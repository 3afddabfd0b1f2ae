import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { verifyBackup } from '../../src/core/verify';
import { recordFault } from './faultMatrix';
import { tempDir } from './harness';
import { exited, sleep } from './killWhen';

/**
 * kill -9 of a config archive while it writes (coreChild: the core code the extension host
 * runs, in a process of its own). No Docker: a workspace of the test's own, with enough data
 * that gzips poorly to be caught mid-write.
 */
const CHILD = join(__dirname, 'coreChild.js');
const PATHS = ['docker-compose.yml', '.env', 'backend/alembic/versions/'];

function runChild(opts: object): Promise<{ code: number; log: string; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CHILD, 'archiveConfig', JSON.stringify(opts)], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, log: stderr, out: stdout });
    });
  });
}

async function sums(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[p] = createHash('sha256')
      .update(await fs.readFile(p))
      .digest('hex');
  }
  return out;
}

describe('kill -9 of a config archive while it writes (a process of its own)', function () {
  this.timeout(180_000);
  let root: string;
  let workspace: string;
  let backupDir: string;
  let configDir: string;

  before(async () => {
    root = await tempDir('kill9cfg');
    workspace = join(root, 'ws');
    backupDir = join(root, 'backups');
    configDir = join(backupDir, 'config');
    await fs.mkdir(join(workspace, 'backend/alembic/versions'), { recursive: true });
    await fs.writeFile(join(workspace, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:15\n');
    await fs.writeFile(join(workspace, '.env'), 'POSTGRES_PASSWORD=test-only\n');
    // 60 MB of random bytes: gzip cannot shrink them, so the write lasts long enough to be caught.
    for (let i = 0; i < 30; i++) await fs.writeFile(join(workspace, `backend/alembic/versions/r${i}.bin`), randomBytes(2 * 1024 * 1024));
    const first = await runChild({ workspace, backupDir, paths: PATHS, project: 'kill9cfg' });
    assert.equal(first.code, 0, `${first.out}\n${first.log}`);
  });

  after(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('leaves no final-named half file; the next run removes the partial and writes a whole archive', async () => {
    const older = await sums(configDir);
    const ws = await sums(workspace);
    const olderNames = Object.keys(older);
    const child = spawn(
      process.execPath,
      [CHILD, 'archiveConfig', JSON.stringify({ workspace, backupDir, paths: PATHS, project: 'kill9cfg' })],
      { stdio: 'ignore' },
    );
    const gone = exited(child);
    let partial: string | undefined;
    let size = 0;
    for (let i = 0; i < 1500 && size < 4 * 1024 * 1024; i++) {
      await sleep(10);
      partial = (await fs.readdir(configDir)).find((f) => f.endsWith('.partial'));
      size = partial ? (await fs.stat(join(configDir, partial)).catch(() => ({ size: 0 }))).size : 0;
    }
    child.kill('SIGKILL');
    assert.equal(await gone, 'SIGKILL');
    const left = (await fs.readdir(configDir)).sort();
    const finals = left.filter((f) => !f.startsWith('.') && !olderNames.includes(join(configDir, f)));

    const next = await runChild({ workspace, backupDir, paths: PATHS, project: 'kill9cfg' });
    const now = (await fs.readdir(configDir)).sort();
    const made = now.filter((f) => f.endsWith('.tar.gz') && !olderNames.includes(join(configDir, f)));
    const verified = made.length === 1 ? await verifyBackup(join(configDir, made[0]), { depth: 'quick' }) : undefined;
    let intact = JSON.stringify(await sums(workspace)) === JSON.stringify(ws);
    for (const [f, sum] of Object.entries(older)) intact &&= (await sums(configDir))[f] === sum;
    const logged = next.log
      .split('\n')
      .filter((l) => /interrupted/.test(l))
      .map((l) =>
        l
          .replace(/^\w+ /, '')
          .split(backupDir)
          .join('<backups>')
          .replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS'),
      );
    recordFault({
      operation: 'config archive',
      fault: `kill -9 while the archive is written (partial over ${Math.floor(size / (1024 * 1024))} MB)`,
      userSees: `nothing from the killed process; the next run (exit ${next.code}) logs: ${logged.join(' ') || 'nothing more'}`,
      leftOnDisk: `${left
        .filter((f) => f.startsWith('.'))
        .map((f) => f.replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS'))
        .join(', ')} (removed by the next run)`,
      dataLost: !intact,
    });
    assert.ok(size >= 4 * 1024 * 1024, `the partial grew to ${size} bytes only`);
    assert.deepEqual(finals, [], 'no final-named file from the killed run');
    assert.ok(partial && left.includes(partial), 'the killed run left its partial');
    assert.equal(next.code, 0, `${next.out}\n${next.log}`);
    assert.ok(next.log.includes(`Removed ${join(configDir, partial!)}`), next.log);
    assert.deepEqual(
      now.filter((f) => f.endsWith('.partial')),
      [],
    );
    assert.equal(made.length, 1, `one new archive: ${now.join(', ')}`);
    assert.equal(verified?.ok, true, verified?.problem);
    assert.ok(intact, 'the workspace and the older archive are unchanged');
  });
});
