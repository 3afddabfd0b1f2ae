import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { plainSource } from '../../src/core/encryption';
import {
  customDumpFacts,
  isCustomFormat,
  loadCustomDumpIntoNewDatabase,
  listSideDatabases,
  sideName,
  swapDatabases,
} from '../../src/core/database';
import { CancelledError, LifeboatError } from '../../src/core/common';
import { readManifest, writeManifest } from '../../src/core/store';
import { verifyBackup } from '../../src/core/verify';
import { databases, demoStack, docker, psql, run, tempDir } from './harness';

/**
 * pg_restore's side of a restore and the rename swap, on the demo stack's server but only on
 * databases of this run's own (lbcd<tag>_*), all dropped afterwards: sms_db is never touched.
 */
describe('custom-format archives and the database swap on a real server (sms-db)', function () {
  this.timeout(120_000);
  const tag = randomBytes(3).toString('hex');
  const db = (name: string) => `lbcd${tag}_${name}`;
  const container = docker.getContainer('sms-db');
  const target = (database: string) => ({ container, user: 'sms_user', database });
  let dir: string;
  let archive: string;

  before(async () => {
    dir = await tempDir('customdump');
    await psql('sms-db', 'sms_user', 'postgres', `CREATE DATABASE ${db('src')}`);
    await psql(
      'sms-db',
      'sms_user',
      db('src'),
      'CREATE TABLE t (id int primary key, note text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g',
    );
    archive = join(dir, 'src.dump');
    await run('bash', ['-o', 'pipefail', '-c', `docker exec sms-db pg_dump -Fc -U sms_user -d ${db('src')} > "$1"`, 'dump', archive]);
  });

  after(async () => {
    for (const name of await databases('sms-db', 'sms_user')) {
      if (name.startsWith(`lbcd${tag}_`)) await psql('sms-db', 'sms_user', 'postgres', `DROP DATABASE "${name}" WITH (FORCE)`);
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("reads the versions from a real archive's table of contents", async () => {
    assert.equal(await isCustomFormat(archive), true);
    const facts = await customDumpFacts(target(db('src')), await plainSource(archive));
    assert.equal(facts.looksLikeDump, true);
    assert.match(facts.serverVersion ?? '', /^15\./);
    assert.match(facts.dumpVersion ?? '', /^15\./);
  });

  it("an archive pg_restore cannot read is refused before anything is created, in pg_restore's words", async () => {
    const bad = join(dir, 'bad.dump');
    await fs.writeFile(bad, Buffer.concat([Buffer.from('PGDMP'), randomBytes(2000)]));
    assert.equal(await isCustomFormat(bad), true);
    const before = await databases('sms-db', 'sms_user');
    await assert.rejects(
      customDumpFacts(target(db('src')), await plainSource(bad)),
      (err: Error) =>
        err instanceof LifeboatError &&
        err.message.startsWith(`pg_restore cannot read ${bad}: pg_restore: error:`) &&
        /damaged, or was made by a newer pg_dump/.test(err.hint ?? ''),
    );
    assert.deepEqual(await databases('sms-db', 'sms_user'), before);
  });

  it('a cancelled read of the table of contents is a cancel; a file gone since it was opened is its read error', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(customDumpFacts(target(db('src')), await plainSource(archive), { signal: ac.signal }), CancelledError);
    const copy = join(dir, 'gone.dump');
    await fs.copyFile(archive, copy);
    const source = await plainSource(copy);
    await fs.rm(copy);
    await assert.rejects(customDumpFacts(target(db('src')), source), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  });

  it("loads an archive into a new database, with the file's checksum; a cancel or a vanished file stops it", async () => {
    const { createHash } = await import('node:crypto');
    const ac = new AbortController();
    const phases: string[] = [];
    const loaded = await loadCustomDumpIntoNewDatabase(target(db('loaded')), await plainSource(archive), {
      signal: ac.signal,
      progress: (p) => phases.push(p.phase),
    });
    assert.equal(
      loaded.fileSha256,
      createHash('sha256')
        .update(await fs.readFile(archive))
        .digest('hex'),
    );
    assert.equal(await psql('sms-db', 'sms_user', db('loaded'), 'SELECT count(*) FROM t'), '500');
    assert.ok(phases.includes(`Dry run: restoring into ${db('loaded')}`));

    ac.abort();
    await assert.rejects(
      loadCustomDumpIntoNewDatabase(target(db('cancelled')), await plainSource(archive), { signal: ac.signal }),
      CancelledError,
    );

    const copy = join(dir, 'vanish.dump');
    await fs.copyFile(archive, copy);
    const source = await plainSource(copy);
    await fs.rm(copy);
    await assert.rejects(
      loadCustomDumpIntoNewDatabase(target(db('vanished')), source),
      (err: Error) => err instanceof LifeboatError && err.message.includes(copy) && /ENOENT/.test(err.message),
    );
  });

  it('swaps by renaming, keeping the old database aside; a missing replacement renames nothing', async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    await psql('sms-db', 'sms_user', 'postgres', `CREATE DATABASE ${db('live')}`);
    await psql('sms-db', 'sms_user', 'postgres', `CREATE DATABASE ${db('repl')}`);
    await psql('sms-db', 'sms_user', db('repl'), "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('replacement')");
    const aside = sideName(db('live'), '_pre_restore', at);
    await swapDatabases(target('postgres'), db('live'), db('repl'), aside);
    assert.equal(await psql('sms-db', 'sms_user', db('live'), 'SELECT v FROM marker'), 'replacement');
    const names = await databases('sms-db', 'sms_user');
    assert.ok(names.includes(aside) && !names.includes(db('repl')), names.join(', '));
    // Another database whose name merely starts with this one's, with a copy of its own: not listed.
    await psql('sms-db', 'sms_user', 'postgres', `CREATE DATABASE ${db('livelier')}_restore_20260101_000000`);
    const side = await listSideDatabases(target('postgres'), db('live'));
    assert.deepEqual(
      side.map((s) => [s.name, s.kind, s.at?.toISOString()]),
      [[aside, 'pre_restore', at.toISOString()]],
    );

    await assert.rejects(
      swapDatabases(target('postgres'), db('live'), db('missing'), sideName(db('live'), '_pre_restore', new Date())),
      (err: Error) =>
        err instanceof LifeboatError &&
        err.message.startsWith(`Could not swap "${db('missing')}" in for "${db('live')}":`) &&
        /does not exist/.test(err.message) &&
        /Nothing was renamed/.test(err.hint ?? ''),
    );
    assert.equal(await psql('sms-db', 'sms_user', db('live'), 'SELECT v FROM marker'), 'replacement', 'the live database kept its name');
  });

  it('verifyBackup of a -Fc archive: quick proves only its checksum and says so; full restores it with pg_restore against the manifest', async () => {
    const stack = await demoStack();
    const file = join(dir, 'lbcd_backup_20260101_000000.dump');
    await fs.copyFile(archive, file);

    const quick = await verifyBackup(file, { depth: 'quick' });
    assert.equal(quick.ok, true, quick.problem);
    assert.deepEqual(quick.notes, [
      'no manifest checksum to compare',
      'a custom-format archive is only proven by a full verification (a test restore with pg_restore)',
    ]);

    // The quick run adopted a manifest with the file's sha256, but no row counts.
    const full = await verifyBackup(file, { depth: 'full', docker, stack });
    assert.equal(full.ok, true, full.problem);
    assert.ok(full.checks.includes('sha256 matches the manifest'), full.checks.join('; '));
    assert.ok(full.checks.includes('test restore with pg_restore: 1 table, 500 rows'), full.checks.join('; '));
    assert.ok(full.notes.includes('no manifest row counts to compare the test restore with'), full.notes.join('; '));

    const { manifest } = await readManifest(file);
    await writeManifest(file, { ...manifest!, tables: { 'public.t': 501, 'public.gone': 3 } });
    const short = await verifyBackup(file, { depth: 'full', docker, stack });
    assert.equal(short.ok, false);
    assert.equal(
      short.problem,
      'The test restore does not match the manifest: "public.t" 500 of 501 rows; "public.gone" missing of 3 rows.',
    );

    await writeManifest(file, { ...manifest!, file: { ...manifest!.file, sha256: '0'.repeat(64) } });
    const changed = await verifyBackup(file, { depth: 'quick' });
    assert.equal(changed.ok, false);
    assert.equal(changed.problem, '"lbcd_backup_20260101_000000.dump" does not match its manifest (sha256 differs).');
    assert.deepEqual(
      (await databases('sms-db', 'sms_user')).filter((d) => d.includes('_verify_')),
      [],
    );
  });
});
