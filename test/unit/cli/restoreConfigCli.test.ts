import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { main } from '../../../src/cli/main';
import { archiveConfig } from '../../../src/core/config';

/** Runs the command line in this process, with what it prints. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

describe('lifeboat restore config FILE [--replace FOLDER] (a real archive, a real folder)', () => {
  let root: string;
  let project: string;
  let archive: string;
  const compose = 'services:\n  sms-db:\n    image: postgres:15\n';
  const env = 'POSTGRES_DB=sms_db\n';

  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-cli-config-'));
    project = join(root, 'sms');
    await fs.mkdir(join(project, '.vscode'), { recursive: true });
    await fs.writeFile(join(project, '.vscode', 'settings.json'), JSON.stringify({ 'lifeboat.backupDirectory': join(root, 'backups') }));
    await fs.writeFile(join(project, 'docker-compose.yml'), compose);
    await fs.writeFile(join(project, '.env'), env, { mode: 0o600 });
    archive = (await archiveConfig({ backupDir: join(root, 'backups'), workspace: project, paths: ['docker-compose.yml', '.env'] })).path;
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('a dry run lists what differs and writes nothing; --replace with the folder name writes it back, keeping .bak', async () => {
    await fs.writeFile(join(project, 'docker-compose.yml'), 'services: {}\n');
    await fs.rm(join(project, '.env'));
    const dry = await cli(['restore', 'config', archive, '--folder', project]);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^CHANGED  docker-compose\.yml \(content\)$/m);
    assert.match(dry.out, /^NEW      \.env \(not in the folder\)$/m);
    assert.match(dry.out, /^Dry run only: no file in .+ was changed\. To write the 2 files that differ .*run again with --replace sms\.$/m);
    assert.equal(await fs.readFile(join(project, 'docker-compose.yml'), 'utf8'), 'services: {}\n');
    assert.deepEqual((await fs.readdir(project)).sort(), ['.vscode', 'docker-compose.yml']);

    const wrong = await cli(['restore', 'config', archive, '--folder', project, '--replace', 'docker-compose.yml']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /--replace names "docker-compose\.yml", but the config of ".+" is restored into the folder "sms"/);
    assert.equal(await fs.readFile(join(project, 'docker-compose.yml'), 'utf8'), 'services: {}\n');

    const real = await cli(['restore', 'config', archive, '--folder', project, '--replace', 'sms']);
    assert.equal(real.code, 0, real.err);
    assert.match(real.out, /^REPLACED docker-compose\.yml \(the previous copy is docker-compose\.yml\.bak\)$/m);
    assert.match(real.out, /^CREATED  \.env$/m);
    assert.equal(await fs.readFile(join(project, 'docker-compose.yml'), 'utf8'), compose);
    assert.equal(await fs.readFile(join(project, 'docker-compose.yml.bak'), 'utf8'), 'services: {}\n');
    assert.equal(await fs.readFile(join(project, '.env'), 'utf8'), env);

    const again = await cli(['restore', 'config', archive, '--folder', project]);
    assert.match(
      again.out,
      new RegExp(`Every file in "${basename(archive)}" is identical to the one in .+\\. Nothing to restore\\.$`, 'm'),
    );
  });

  it('refuses a backup of another kind by its manifest', async () => {
    const dump = join(root, 'sms_backup_20260101_020000.sql.gz');
    await fs.writeFile(dump, 'x');
    await fs.writeFile(
      `${dump}.json`,
      JSON.stringify({
        formatVersion: 1,
        kind: 'database',
        createdAt: '2026-01-01T02:00:00.000Z',
        file: { name: basename(dump), bytes: 1 },
      }),
    );
    const r = await cli(['restore', 'config', dump, '--folder', project]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /is a database backup, not a config archive\./);
  });
});
