import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Docker from 'dockerode';
import { stackBackup, stackVerify } from '../../../src/core/jobs';
import type { Stack } from '../../../src/core/stack';
import { LifeboatError } from '../../../src/core/common';
import { readManifest } from '../../../src/core/store';

// An engine nobody listens on: a test that reached Docker would fail with ENOENT, not pass.
const nowhere = new Docker({ socketPath: '/nonexistent/docker.sock' });
const stackWithoutVolumes: Stack = {
  project: 'shop',
  db: { id: 'x', name: 'shop-db', user: 'u', database: 'd' } as Stack['db'],
  apps: [],
  volumes: [],
};

describe('stackBackup and stackVerify: the backups a scheduled run and the command line make', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-backupjob-'));
    await fs.mkdir(join(dir, 'ws'));
    await fs.writeFile(join(dir, 'ws', 'compose.yaml'), 'services: {}\n');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a config archive without a workspace folder is refused, saying to open one', async () => {
    const run = stackBackup({ docker: nowhere, stack: async () => stackWithoutVolumes, backupDir: join(dir, 'b') });
    await assert.rejects(
      run('config'),
      (err: Error) =>
        err instanceof LifeboatError && /needs the workspace folder/.test(err.message) && /Open the folder/.test(err.hint ?? ''),
    );
    await assert.rejects(fs.stat(join(dir, 'b')), /ENOENT/);
  });

  it('a config archive is made while Docker is down, named after the project from the settings', async () => {
    const run = stackBackup({
      docker: nowhere,
      stack: () => Promise.reject(new Error('connect ENOENT /nonexistent/docker.sock')),
      project: async () => 'from-settings',
      backupDir: join(dir, 'b'),
      workspace: join(dir, 'ws'),
    });
    const [made] = await run('config');
    assert.match(basename(made), /^config_\d{8}_\d{6}\.tar\.gz$/);
    const m = await readManifest(made);
    assert.equal(m.manifest?.source.project, 'from-settings');
  });

  it('a config archive takes the project of the stack when it is found', async () => {
    const run = stackBackup({
      docker: nowhere,
      stack: async () => stackWithoutVolumes,
      project: async () => 'not-this',
      backupDir: join(dir, 'b'),
      workspace: join(dir, 'ws'),
    });
    const [made] = await run('config');
    assert.equal((await readManifest(made)).manifest?.source.project, 'shop');
  });

  it('a volume snapshot of a stack with no named volumes says so and how to stop scheduling it', async () => {
    const run = stackBackup({ docker: nowhere, stack: async () => stackWithoutVolumes, backupDir: join(dir, 'b') });
    await assert.rejects(
      run('volume'),
      (err: Error) =>
        err instanceof LifeboatError && /mounts no named volumes/.test(err.message) && /lifeboat\.schedule\.volume/.test(err.hint ?? ''),
    );
    const empty = stackBackup({ docker: nowhere, stack: async () => stackWithoutVolumes, backupDir: join(dir, 'b'), volumes: [] });
    await assert.rejects(empty('volume'), /mounts no named volumes/);
  });

  it('a quick verification never looks for the stack; a full one needs it', async () => {
    const made = (
      await stackBackup({ docker: nowhere, stack: async () => stackWithoutVolumes, backupDir: join(dir, 'b'), workspace: join(dir, 'ws') })(
        'config',
      )
    )[0];
    let asked = 0;
    const verify = stackVerify({
      docker: nowhere,
      stack: () => {
        asked++;
        return Promise.reject(new LifeboatError('No Docker Compose stack was found.'));
      },
    });
    const quick = await verify(made, 'quick');
    assert.equal(quick.ok, true, quick.problem);
    assert.equal(asked, 0);
    await assert.rejects(verify(made, 'full'), /No Docker Compose stack was found/);
    assert.equal(asked, 1);
  });

  it('a volume snapshot of named volumes goes to the engine for them even when the stack mounts none', async () => {
    const run = stackBackup({ docker: nowhere, stack: async () => stackWithoutVolumes, backupDir: join(dir, 'b'), volumes: ['shop_data'] });
    await assert.rejects(run('volume'), (err: Error) => {
      assert.ok(err instanceof LifeboatError, String(err));
      assert.doesNotMatch(err.message, /mounts no named volumes/);
      assert.match(err.message, /^Cannot reach the Docker engine/);
      return true;
    });
  });

  it('a full verification of a config archive asks for the stack once and reads every entry whole', async () => {
    const [made] = await stackBackup({
      docker: nowhere,
      stack: async () => stackWithoutVolumes,
      backupDir: join(dir, 'b'),
      workspace: join(dir, 'ws'),
    })('config');
    let asked = 0;
    const verify = stackVerify({
      docker: nowhere,
      stack: async () => {
        asked++;
        return stackWithoutVolumes;
      },
    });
    const full = await verify(made, 'full');
    assert.equal(full.ok, true, full.problem);
    assert.equal(full.depth, 'full');
    assert.equal(asked, 1);
    assert.ok(
      full.notes.some((n) => n.startsWith('a test restore: a config archive has nothing to restore into')),
      full.notes.join('; '),
    );
  });
});
