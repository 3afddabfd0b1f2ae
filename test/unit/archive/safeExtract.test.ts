import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encryptFile } from '../../../src/core/encryption';
import type { KeyProvider } from '../../../src/core/encryption';
import { archiveConfig } from '../../../src/core/config';
import { CryptoError } from '../../../src/core/crypto';
import { CancelledError, LifeboatError } from '../../../src/core/common';
import { CONFIG_STAGING_MAX_BYTES, readArchiveEntries, removeStaging, safeExtract } from '../../../src/core/archive';
import { gzipSync } from 'node:zlib';
import { packTar } from '../../support/hostileTar';

// Tests run from out/test/unit; the fixtures stay in the source tree.
const FIXTURES = resolve(__dirname, '../../../../test/unit/fixtures/archives');
const fixture = (name: string) => join(FIXTURES, name);
const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5);
const OLDER = Date.UTC(2023, 5, 1, 12, 0, 0);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    for (const e of (await fs.readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      out.push(`${prefix}${e.name}${e.isDirectory() ? '/' : e.isSymbolicLink() ? '@' : ''}`);
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
    }
  };
  await walk(dir, '');
  return out;
}

describe('safeExtract (contract 9)', () => {
  let root: string;
  let parent: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-extract-'));
    parent = join(root, 'parent');
    await fs.mkdir(parent);
    await fs.writeFile(join(parent, 'neighbour.txt'), 'untouched\n');
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('lists the golden archive: paths, types, modes, mtimes, hashes, link targets', async () => {
    const { entries, archiveBytes, archiveSha256 } = await readArchiveEntries(fixture('good.tar.gz'));
    const file = await fs.readFile(fixture('good.tar.gz'));
    assert.equal(archiveBytes, file.length);
    assert.equal(archiveSha256, createHash('sha256').update(file).digest('hex'));
    const long = `deep/${'d'.repeat(60)}/${'e'.repeat(60)}/long-name.conf`;
    assert.deepEqual(
      entries.map((e) => [e.path, e.type, e.mode.toString(8), e.size, e.mtime.getTime(), e.sha256?.slice(0, 8), e.target]),
      [
        ['docker-compose.yml', 'file', '644', 13, MTIME, sha('services: {}\n').slice(0, 8), undefined],
        ['.env', 'file', '600', 9, OLDER, sha('SECRET=1\n').slice(0, 8), undefined],
        ['docker', 'directory', '755', 0, OLDER, undefined, undefined],
        ['docker/nginx.conf', 'file', '640', 10, MTIME, sha('server {}\n').slice(0, 8), undefined],
        ['bin/run.sh', 'file', '4755', 10, MTIME, sha('#!/bin/sh\n').slice(0, 8), undefined],
        ['docker/current.conf', 'symlink', '777', 0, MTIME, undefined, 'nginx.conf'],
        ['docker/up.yml', 'symlink', '777', 0, MTIME, undefined, '../docker-compose.yml'],
        ['docker/nginx-hard.conf', 'link', '640', 10, MTIME, sha('server {}\n').slice(0, 8), 'docker/nginx.conf'],
        [long, 'file', '644', 5, MTIME, sha('long\n').slice(0, 8), undefined],
        ['réglages.conf', 'file', '644', 3, MTIME, sha('ü\n').slice(0, 8), undefined],
        ['empty', 'directory', '700', 0, MTIME, undefined, undefined],
      ],
    );
  });

  it('extracts an encrypted archive from its decryption; a wrong key writes nothing', async () => {
    const archive = join(root, 'config_20240102_030405.tar.gz');
    await fs.copyFile(fixture('good.tar.gz'), archive);
    const encrypted = (await encryptFile(archive, { format: 'age', passphrase: 'right', workFactor: 10, removePlaintext: true })).path;
    assert.equal(existsSync(archive), false);
    const keys = (passphrase: string): KeyProvider => ({
      key: async (_f, _i, failed) => (failed ? Promise.reject(failed) : { passphrase }),
    });
    const refused = join(parent, 'refused');
    await assert.rejects(
      safeExtract(encrypted, { stagingDir: refused, keys: keys('wrong') }),
      (err: Error) => err instanceof CryptoError && err.code === 'wrong-key',
    );
    assert.equal(existsSync(refused), false, 'no staging folder for a wrong key');
    await assert.rejects(safeExtract(encrypted, { stagingDir: refused }), /no key was given/);
    const staging = join(parent, 'staging');
    const res = await safeExtract(encrypted, { stagingDir: staging, keys: keys('right') });
    assert.equal(res.entries.length, 11);
    assert.equal(await fs.readFile(join(staging, '.env'), 'utf8'), 'SECRET=1\n');
    assert.equal(
      res.archiveSha256,
      createHash('sha256')
        .update(await fs.readFile(fixture('good.tar.gz')))
        .digest('hex'),
      'the hash is of the decrypted archive',
    );
    for (const name of await fs.readdir(root))
      assert.match(name, /^(parent|config_20240102_030405\.tar\.gz\.age(\.json)?)$/, 'no decrypted copy beside it');
  });

  it('extracts the golden archive privately: files 0600, folders 0700, mtimes and links kept', async () => {
    const staging = join(parent, 'staging');
    const res = await safeExtract(fixture('good.tar.gz'), { stagingDir: staging });
    assert.equal(res.dir, staging);
    assert.equal(res.entries.length, 11);
    assert.equal((await fs.stat(staging)).mode & 0o777, 0o700);
    assert.equal(await fs.readFile(join(staging, '.env'), 'utf8'), 'SECRET=1\n');
    for (const f of ['.env', 'docker/nginx.conf', 'bin/run.sh', 'docker-compose.yml']) {
      assert.equal((await fs.stat(join(staging, f))).mode & 0o7777, 0o600, f);
    }
    for (const d of ['docker', 'bin', 'empty', 'deep']) assert.equal((await fs.stat(join(staging, d))).mode & 0o7777, 0o700, d);
    assert.equal((await fs.stat(join(staging, '.env'))).mtimeMs, OLDER);
    assert.equal((await fs.stat(join(staging, 'docker'))).mtimeMs, OLDER);
    assert.equal(await fs.readlink(join(staging, 'docker/current.conf')), 'nginx.conf');
    assert.equal(await fs.readFile(join(staging, 'docker/up.yml'), 'utf8'), 'services: {}\n');
    assert.equal((await fs.stat(join(staging, 'docker/nginx-hard.conf'))).ino, (await fs.stat(join(staging, 'docker/nginx.conf'))).ino);
    assert.equal(await fs.readFile(join(staging, 'réglages.conf'), 'utf8'), 'ü\n');
    await removeStaging(staging);
    assert.deepEqual(await fs.readdir(parent), ['neighbour.txt']);
  });

  it('defaults to a fresh private folder and refuses an existing one', async () => {
    const res = await safeExtract(fixture('good.tar.gz'));
    assert.match(res.dir, /lifeboat-staging-/);
    await removeStaging(res.dir);
    await assert.rejects(safeExtract(fixture('good.tar.gz'), { stagingDir: parent }), /already exists/);
    assert.deepEqual(await fs.readdir(parent), ['neighbour.txt']);
  });

  const refused: [string, RegExp, string[]][] = [
    ['dotdot.tar.gz', /"\.\.\/evil" has a "\.\." component/, ['../evil', 'evil']],
    ['absolute.tar.gz', /"\/abs\/evil" has an absolute path/, ['/abs']],
    ['nested-dotdot.tar.gz', /"a\/\.\.\/\.\.\/evil" has a "\.\." component/, ['../evil', 'evil']],
    ['symlink-etc-then-file.tar.gz', /"link" is a symbolic link to "\/etc", outside the folder/, []],
    ['symlink-inside-then-file.tar.gz', /"here\/x" goes through the symbolic link "here"/, []],
    ['symlink-outside.tar.gz', /"sub\/up" is a symbolic link to "\.\.\/\.\.\/outside", outside the folder/, ['outside', '../outside']],
    ['symlink-through-symlink.tar.gz', /"x" is a symbolic link whose target "b\/\.\." goes through another link/, []],
    ['symlink-redirected-later.tar.gz', /"b" is a symbolic link on the path of another link's target/, []],
    ['hardlink-etc.tar.gz', /"passwd" is a hard link to "\/etc\/passwd", outside the folder/, []],
    ['hardlink-dotdot.tar.gz', /"passwd" is a hard link to "\.\.\/outside", outside the folder/, []],
    ['fifo.tar.gz', /"pipe" is a FIFO/, []],
    ['chardev.tar.gz', /"null" is a device \(character-device\)/, []],
    ['file-then-dir.tar.gz', /"a\/b" needs "a" to be a folder, but the archive made it a file/, []],
    ['dir-then-file.tar.gz', /"d" would replace the folder of the same path with a file/, []],
    ['file-then-symlink.tar.gz', /"f" would replace the file of the same path with a symbolic link/, []],
  ];
  for (const [name, message, outside] of refused) {
    it(`refuses ${name}, names the entry, leaves nothing behind`, async () => {
      const before = await listing(root);
      const etcBefore = await fs.stat('/etc/passwd');
      const staging = join(parent, 'staging');
      await assert.rejects(safeExtract(fixture(name), { stagingDir: staging }), (err: Error) => {
        assert.ok(err instanceof LifeboatError, String(err));
        assert.match(err.message, message);
        assert.match(err.message, /Nothing was written outside the staging folder, and the staging folder was removed/);
        return true;
      });
      assert.deepEqual(await listing(root), before);
      assert.ok(!existsSync(staging));
      for (const o of outside) assert.ok(!existsSync(o.startsWith('/') ? o : join(parent, o)), o);
      const etcAfter = await fs.stat('/etc/passwd');
      assert.equal(etcAfter.mtimeMs, etcBefore.mtimeMs);
      assert.equal(etcAfter.nlink, etcBefore.nlink);
      // Listing applies the same rules without writing.
      await assert.rejects(readArchiveEntries(fixture(name)), message);
    });
  }

  for (const name of ['truncated-gzip.tar.gz', 'corrupt-gzip.tar.gz', 'truncated-tar.tar.gz', 'truncated-at-entry.tar.gz']) {
    it(`reports ${name} as truncated or corrupt and removes the staging folder`, async () => {
      const staging = join(parent, 'staging');
      await assert.rejects(safeExtract(fixture(name), { stagingDir: staging }), (err: Error) => {
        assert.ok(err instanceof LifeboatError, String(err));
        assert.match(err.message, /is truncated or corrupt/);
        return true;
      });
      assert.deepEqual(await fs.readdir(parent), ['neighbour.txt']);
      await assert.rejects(readArchiveEntries(fixture(name)), /is truncated or corrupt/);
    });
  }

  it('says which archive is missing', async () => {
    await assert.rejects(safeExtract(join(root, 'nope.tar.gz'), { stagingDir: join(parent, 's') }), /nope\.tar\.gz/);
    assert.deepEqual(await fs.readdir(parent), ['neighbour.txt']);
  });

  it('a cancel midway removes the staging folder', async function () {
    this.timeout(60000);
    const ws = join(root, 'ws');
    await fs.mkdir(ws);
    const h = await fs.open(join(ws, 'big.bin'), 'w');
    for (let i = 0; i < 32; i++) await h.write(Buffer.alloc(1 << 20, i));
    await h.close();
    const { path } = await archiveConfig({ backupDir: join(root, 'b'), workspace: ws, paths: ['big.bin'] });
    const ac = new AbortController();
    const staging = join(parent, 'staging');
    await assert.rejects(
      safeExtract(path, { stagingDir: staging, signal: ac.signal, progress: (p) => (p.bytes ?? 0) > 0 && ac.abort() }),
      CancelledError,
    );
    assert.deepEqual(await fs.readdir(parent), ['neighbour.txt']);
  });

  describe('size cap', () => {
    const MiB = 1024 * 1024;
    async function archive(
      entries: { name: string; body: Buffer }[],
      manifestEntries?: { path: string; type: 'file'; size: number }[],
    ): Promise<string> {
      const path = join(root, 'config_20240102_030405.tar.gz');
      await fs.writeFile(path, gzipSync(await packTar(entries), { level: 9 }));
      if (manifestEntries) {
        const manifest = {
          formatVersion: 1,
          kind: 'config',
          createdAt: new Date(MTIME).toISOString(),
          verifications: [],
          entries: manifestEntries,
          missing: [],
        };
        await fs.writeFile(`${path}.json`, JSON.stringify(manifest));
      }
      return path;
    }

    it('a small gzip that expands past the cap is refused and its staging folder removed', async () => {
      const path = await archive([
        { name: 'docker-compose.yml', body: Buffer.alloc(100) },
        { name: 'bomb.env', body: Buffer.alloc(3 * MiB) },
      ]);
      assert.ok((await fs.stat(path)).size < 16 * 1024, 'the archive is a few KiB');
      const staging = join(parent, 'staging');
      await assert.rejects(safeExtract(path, { stagingDir: staging, maxBytes: MiB }), (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.match(
          err.message,
          /Refused to extract .*config_20240102_030405\.tar\.gz: its files would take more than 1\.0 MB \(at "bomb\.env", 3\.0 MB\)/,
        );
        assert.match(err.message, /staging folder was removed/);
        assert.match(String(err.hint), /gzip bomb/);
        return true;
      });
      assert.equal(existsSync(staging), false);
      // Many files each under the cap add up too.
      const many = await archive([0, 1, 2].map((i) => ({ name: `f${i}.conf`, body: Buffer.alloc(400 * 1024) })));
      await assert.rejects(safeExtract(many, { stagingDir: staging, maxBytes: MiB }), /more than 1\.0 MB \(at "f2\.conf"/);
      assert.equal(existsSync(staging), false);
      assert.equal(CONFIG_STAGING_MAX_BYTES, 256 * MiB);
    });

    it('an entry larger than its manifest records is refused; sizes as recorded extract', async () => {
      const entries = [
        { name: 'docker-compose.yml', body: Buffer.alloc(13) },
        { name: '.env', body: Buffer.alloc(2 * MiB) },
      ];
      const path = await archive(entries, [
        { path: 'docker-compose.yml', type: 'file', size: 13 },
        { path: '.env', type: 'file', size: 9 },
      ]);
      const staging = join(parent, 'staging');
      await assert.rejects(safeExtract(path, { stagingDir: staging }), (err: Error) => {
        assert.ok(err instanceof LifeboatError);
        assert.match(err.message, /the entry "\.env" holds 2\.0 MB, more than the 9 B its manifest records/);
        assert.match(String(err.hint), /does not match its manifest/);
        return true;
      });
      assert.equal(existsSync(staging), false);
      const honest = await archive(entries, [
        { path: 'docker-compose.yml', type: 'file', size: 13 },
        { path: '.env', type: 'file', size: 2 * MiB },
      ]);
      const res = await safeExtract(honest, { stagingDir: staging, maxBytes: MiB });
      assert.equal(
        (await fs.stat(join(staging, '.env'))).size,
        2 * MiB,
        'the manifest, not the default cap, limits an archive it describes',
      );
      await removeStaging(res.dir);
    });
  });
});
