import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveConfig, DEFAULT_CONFIG_PATHS } from '../../../src/core/config';
import { COMPOSE_FILE_NAMES, composeFileIn, withActualComposeFile } from '../../../src/core/stack';
import { listTarGz } from '../../support/tarList';

describe('Compose file names', () => {
  let root: string;
  beforeEach(async () => (root = await fs.mkdtemp(join(tmpdir(), 'lifeboat-compose-'))));
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('the extension activates on each of the four names Compose reads', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as { activationEvents: string[] };
    for (const name of COMPOSE_FILE_NAMES) assert.ok(pkg.activationEvents.includes(`workspaceContains:**/${name}`), name);
  });

  it('finds the file Compose would read, in its order of preference', async () => {
    assert.equal(await composeFileIn(root), undefined);
    await fs.writeFile(join(root, 'docker-compose.yml'), 'services: {}\n');
    assert.equal(await composeFileIn(root), 'docker-compose.yml');
    await fs.writeFile(join(root, 'compose.yml'), 'services: {}\n');
    assert.equal(await composeFileIn(root), 'compose.yml');
    await fs.mkdir(join(root, 'compose.yaml')); // a folder is not a Compose file
    assert.equal(await composeFileIn(root), 'compose.yml');
  });

  it("the runbook's docker-compose.yml in the config paths stands for the file that is there", async () => {
    await fs.writeFile(join(root, 'compose.yaml'), 'services: {}\n');
    assert.deepEqual(await withActualComposeFile(root, ['docker-compose.yml', '.env']), ['compose.yaml', '.env']);
    // Listed explicitly: kept as listed.
    assert.deepEqual(await withActualComposeFile(root, ['compose.yaml', 'docker-compose.yml']), ['compose.yaml', 'docker-compose.yml']);
    // Both there: nothing is replaced.
    await fs.writeFile(join(root, 'docker-compose.yml'), 'services: {}\n');
    assert.deepEqual(await withActualComposeFile(root, ['docker-compose.yml']), ['docker-compose.yml']);
  });

  for (const name of COMPOSE_FILE_NAMES) {
    it(`a config archive with the default paths holds ${name} when that is the project's Compose file`, async () => {
      const ws = join(root, 'ws');
      await fs.mkdir(ws);
      await fs.writeFile(join(ws, name), 'services:\n  db:\n    image: postgres:16\n');
      await fs.writeFile(join(ws, '.env'), 'A=1\n');
      const r = await archiveConfig({ workspace: ws, backupDir: join(root, 'backups'), paths: DEFAULT_CONFIG_PATHS });
      const entries = (await listTarGz(r.path)).map((e) => e.name);
      assert.ok(entries.includes(name), `${name} not in ${entries.join(', ')}`);
      assert.ok(!r.missing.some((m) => COMPOSE_FILE_NAMES.includes(m)), `missing: ${r.missing.join(', ')}`);
    });
  }
});
