import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { readManifest } from '../../../src/core/store';
import { verifyBackup } from '../../../src/core/verify';

const MTIME = new Date('2024-01-01T00:00:00Z');

/** A small config-shaped .tar.gz: two files, fixed mtimes. */
async function configTarGz(path: string): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip(), createWriteStream(path));
  for (const [name, body] of [
    ['docker-compose.yml', 'services: {}\n'],
    ['.env', 'A=1\n'],
  ]) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, mode: 0o600, mtime: MTIME }, body, (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await done;
}

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');

/** The manifest a config archive written by Lifeboat carries, with the checksum given. */
function configManifest(name: string, bytes: number, sha: string): object {
  return {
    formatVersion: 1,
    kind: 'config',
    createdAt: MTIME.toISOString(),
    tool: { name: 'lifeboat', version: 'test' },
    source: {},
    compression: { format: 'gzip', level: 6 },
    file: { name, bytes, sha256: sha },
    verifications: [],
  };
}

describe('verifyBackup refusals and notes (issue 13)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-verify-edges-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('a file whose name is not a backup name fails, says so, and gets no manifest', async () => {
    const file = join(dir, 'holiday-photos.tar.gz');
    await configTarGz(file);
    const r = await verifyBackup(file, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.equal(r.problem, '"holiday-photos.tar.gz" is not a backup name Lifeboat knows.');
    assert.equal(r.manifest, undefined);
    await assert.rejects(fs.access(`${file}.json`), 'no manifest is adopted for a file that is not ours');
  });

  it('a missing file is an error naming the file, not a failed verification', async () => {
    const file = join(dir, 'config_20240101_000000.tar.gz');
    await assert.rejects(verifyBackup(file, { depth: 'quick' }), (err: Error) => {
      assert.match(err.message, /config_20240101_000000\.tar\.gz/);
      return true;
    });
  });

  it('a full verification of a plain dump without the database container is refused with what to do', async () => {
    const file = join(dir, 'sms_backup_20240101_000000.sql.gz');
    await fs.writeFile(file, gzipSync('--\n-- PostgreSQL database dump\n--\n\n-- PostgreSQL database dump complete\n'));
    const r = await verifyBackup(file, { depth: 'full' });
    assert.equal(r.ok, false);
    assert.equal(r.problem, 'A full verification needs the database container.');
    const recorded = (await readManifest(file)).manifest!;
    assert.equal(recorded.verifications.at(-1)?.ok, false, 'the refusal is recorded as a failed verification');
  });

  it("a config archive whose bytes differ from its manifest's sha256 fails, naming the file", async () => {
    const name = 'config_20240101_000000.tar.gz';
    const file = join(dir, name);
    await configTarGz(file);
    const { size } = await fs.stat(file);
    await fs.writeFile(`${file}.json`, JSON.stringify(configManifest(name, size, 'ab'.repeat(32))));
    const r = await verifyBackup(file, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.equal(r.problem, `"${name}" does not match its manifest (sha256 differs).`);
    assert.ok(
      r.checks.some((c) => /^gzip and tar whole \(2 entries\)$/.test(c)),
      r.checks.join('; '),
    );
  });

  it('a whole config archive passes a full verification, which says it read every entry instead of restoring', async () => {
    const name = 'config_20240101_000000.tar.gz';
    const file = join(dir, name);
    await configTarGz(file);
    const { size } = await fs.stat(file);
    await fs.writeFile(`${file}.json`, JSON.stringify(configManifest(name, size, await sha256(file))));
    const r = await verifyBackup(file, { depth: 'full' });
    assert.equal(r.ok, true, r.problem);
    assert.ok(r.checks.includes('sha256 matches the manifest'), r.checks.join('; '));
    assert.ok(
      r.notes.some((n) => n.startsWith('a test restore: a config archive has nothing to restore into')),
      r.notes.join('; '),
    );
  });

  it('a config archive with an unreadable manifest is still checked, and the manifest problem is noted', async () => {
    const file = join(dir, 'config_20240101_000000.tar.gz');
    await configTarGz(file);
    await fs.writeFile(`${file}.json`, '{ not json');
    const r = await verifyBackup(file, { depth: 'quick' });
    assert.equal(r.ok, true, r.problem);
    assert.ok(
      r.notes.some((n) => n.startsWith('manifest is not valid JSON')),
      r.notes.join('; '),
    );
    assert.ok(r.notes.includes('no manifest checksum to compare'), r.notes.join('; '));
  });

  it('a volume snapshot with an unreadable manifest is checked on its own, and the manifest problem is noted', async () => {
    const file = join(dir, 'volume_v_20240101_000000.tar.gz');
    const pack = tar.pack();
    const done = pipeline(pack, createGzip(), createWriteStream(file));
    pack.entry({ name: './', type: 'directory', mode: 0o700, mtime: MTIME });
    pack.entry({ name: './PG_VERSION', mode: 0o600, mtime: MTIME }, '15\n');
    pack.finalize();
    await done;
    await fs.writeFile(`${file}.json`, '[]');
    const r = await verifyBackup(file, { depth: 'full' });
    assert.equal(r.ok, true, r.problem);
    assert.ok(r.notes.includes('manifest is not a Lifeboat manifest'), r.notes.join('; '));
    assert.ok(
      r.notes.some((n) => n.startsWith('a test restore into a scratch volume')),
      r.notes.join('; '),
    );
  });
});
