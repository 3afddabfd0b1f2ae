import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveConfig, configArchiveName } from '../../../src/core/config';
import { LifeboatError } from '../../../src/core/common';
import { listTarGz } from '../../support/tarList';

const NOW = () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

describe('archiveConfig: unusual config paths', () => {
  let root: string;
  let ws: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-cfg-edges-'));
    ws = join(root, 'ws');
    await fs.mkdir(join(ws, 'docker'), { recursive: true });
    await fs.writeFile(join(ws, 'docker-compose.yml'), 'services: {}\n');
    await fs.writeFile(join(ws, 'docker', 'nginx.conf'), 'server {}\n');
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('refuses an empty config path and one with a NUL byte, naming the setting', async () => {
    for (const bad of ['', 'a\0b']) {
      await assert.rejects(archiveConfig({ backupDir: join(root, 'b'), workspace: ws, paths: [bad] }), (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.match(err.message, /^The config path ".*" is empty or invalid\.$/s);
        assert.match(err.hint ?? '', /lifeboat\.config\.paths/);
        return true;
      });
    }
  });

  it('names a workspace folder that does not exist', async () => {
    await assert.rejects(
      archiveConfig({ backupDir: join(root, 'b'), workspace: join(root, 'gone'), paths: ['x'] }),
      /^LifeboatError: Cannot read the workspace folder \(.*gone\): ENOENT/,
    );
  });

  it('"." archives the whole workspace once, leaving out the backup folder inside it and a socket, and says why', async () => {
    const sock = join(ws, 'docker', 'app.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const backupDir = join(ws, 'backups');
      const res = await archiveConfig({ backupDir, workspace: ws, paths: ['.', 'docker', 'docker/nginx.conf'], now: NOW });
      const names = (await listTarGz(res.path)).map((e) => e.name).sort();
      assert.deepEqual(names, ['docker-compose.yml', 'docker/', 'docker/nginx.conf']);
      assert.deepEqual(res.skipped.map((s) => [s.path, s.reason]).sort(), [
        ['backups', 'it is the backup folder'],
        ['docker/app.sock', 'not a file, folder or symbolic link (a socket, FIFO or device)'],
      ]);
    } finally {
      server.close();
    }
  });

  it('a path below a file counts as missing, not as an error', async () => {
    const res = await archiveConfig({
      backupDir: join(root, 'b'),
      workspace: ws,
      paths: ['docker-compose.yml', 'docker-compose.yml/x'],
      now: NOW,
    });
    assert.deepEqual(res.missing, ['docker-compose.yml/x']);
  });
  it('when the 60 names after now are all taken, the archive is refused, saying so; nothing is added or left locked', async () => {
    const backupDir = join(root, 'b');
    const dir = join(backupDir, 'config');
    await fs.mkdir(dir, { recursive: true });
    const taken = Array.from({ length: 60 }, (_, i) => configArchiveName(new Date(NOW().getTime() + i * 1000)));
    for (const name of taken) await fs.writeFile(join(dir, name), 'taken');
    await assert.rejects(archiveConfig({ backupDir, workspace: ws, paths: ['docker'], now: NOW }), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.equal(err.message, `Too many config archives named for ${NOW().toISOString()} in ${dir}.`);
      return true;
    });
    assert.deepEqual((await fs.readdir(dir)).sort(), taken.sort());
    assert.deepEqual(await fs.readdir(backupDir), ['config'], 'no lock file is left');
  });

  it('a config path whose name is longer than a file name can be is an error naming it, not "missing"', async () => {
    const long = 'n'.repeat(300);
    await assert.rejects(archiveConfig({ backupDir: join(root, 'b'), workspace: ws, paths: [long] }), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.match(err.message, /^Cannot read the config path \(.*n{300}\): ENAMETOOLONG/);
      return true;
    });
  });
});
