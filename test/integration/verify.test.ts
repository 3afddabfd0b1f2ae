import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { backupDatabase } from '../../src/core/database';
import type { Stack } from '../../src/core/stack';
import { readManifest } from '../../src/core/store';
import { verifyBackup } from '../../src/core/verify';
import { databases, demoStack, docker, tempDir } from './harness';

async function tarGz(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name, mtime: new Date('2026-01-01T00:00:00Z') }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

describe('verify against the demo stack', function () {
  this.timeout(180_000);
  let stack: Stack;
  let dir: string;
  let good: string;

  before(async () => {
    stack = await demoStack();
    dir = await tempDir('verify');
    good = (await backupDatabase(docker, stack, { backupDir: dir })).path;
  });

  it('quick: a good dump passes and the result is recorded in its manifest', async () => {
    const r = await verifyBackup(good, { depth: 'quick' });
    assert.equal(r.ok, true, r.problem);
    assert.ok(r.checks.includes('sha256 matches the manifest'));
    const { manifest } = await readManifest(good);
    assert.equal(manifest?.verifications.at(-1)?.ok, true);
    assert.equal(manifest?.verifications.at(-1)?.depth, 'quick');
  });

  it('full: a test restore with matching row counts, and the throwaway database is gone', async () => {
    const r = await verifyBackup(good, { depth: 'full', docker, stack });
    assert.equal(r.ok, true, r.problem);
    assert.ok(
      r.checks.some((c) => /test restore .* rows match/.test(c)),
      r.checks.join('; '),
    );
    assert.deepEqual(
      (await databases('sms-db', 'sms_user')).filter((d) => d.includes('_verify_')),
      [],
    );
  });

  it("full: row counts the manifest records but the restore does not give fail, naming the table; without a manifest the dump's own counts are expected", async () => {
    const { manifest } = await readManifest(good);
    const tables = manifest?.tables ?? {};
    const [table, rows] = Object.entries(tables)[0] ?? [];
    assert.ok(table !== undefined && rows !== undefined, 'the demo dump records its tables');

    const wrong = join(dir, 'sms_backup_20260101_000001.sql.gz');
    await fs.copyFile(good, wrong);
    await fs.writeFile(
      `${wrong}.json`,
      JSON.stringify({
        ...manifest,
        file: { ...manifest!.file, name: 'sms_backup_20260101_000001.sql.gz' },
        tables: { ...tables, [table]: rows + 1, 'public.gone': 3 },
      }),
    );
    const failed = await verifyBackup(wrong, { depth: 'full', docker, stack });
    assert.equal(failed.ok, false);
    assert.equal(
      failed.problem,
      `The test restore does not match: "${table}" ${rows} of ${rows + 1} rows; "public.gone" missing of 3 rows.`,
    );

    const bare = join(dir, 'sms_backup_20260101_000002.sql.gz');
    await fs.copyFile(good, bare);
    const passed = await verifyBackup(bare, { depth: 'full', docker, stack });
    assert.equal(passed.ok, true, passed.problem);
    assert.ok(
      passed.checks.some((c) => /test restore .* rows match/.test(c)),
      passed.checks.join('; '),
    );
    assert.deepEqual(
      (await databases('sms-db', 'sms_user')).filter((d) => d.includes('_verify_')),
      [],
    );
  });

  it('a flipped byte fails, and the failure is recorded (the tree shows it)', async () => {
    const bad = join(dir, 'database', 'sms_backup_20260102_000000.sql.gz');
    const bytes = await fs.readFile(good);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    await fs.writeFile(bad, bytes);
    await fs.copyFile(`${good}.json`, `${bad}.json`);
    const r = await verifyBackup(bad, { depth: 'quick' });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /corrupt|does not match its manifest|truncated|not a pg_dump/);
    const { manifest } = await readManifest(bad);
    assert.equal(manifest?.verifications.at(-1)?.ok, false);
  });

  it('a full verify of a dump with an SQL error fails and leaves no database behind', async () => {
    const bad = join(dir, 'database', 'sms_backup_20260103_000000.sql.gz');
    const sql = (await import('node:zlib')).gunzipSync(await fs.readFile(good)).toString();
    const at = sql.indexOf('COPY public.courses');
    await fs.writeFile(bad, gzipSync(`${sql.slice(0, at)}SELECT broken(;\n${sql.slice(at)}`));
    const r = await verifyBackup(bad, { depth: 'full', docker, stack });
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /does not restore cleanly/);
    assert.ok(r.notes.some((n) => /no manifest/.test(n)));
    assert.deepEqual(
      (await databases('sms-db', 'sms_user')).filter((d) => d.includes('_verify_')),
      [],
    );
  });

  it('archives: a whole .tar.gz passes, a truncated one fails', async () => {
    await fs.mkdir(join(dir, 'config'), { recursive: true });
    const whole = join(dir, 'config', 'config_20260125.tar.gz');
    const body = await tarGz({ 'docker-compose.yml': 'services: {}\n', '.env': 'A=1\n', 'big.txt': 'x'.repeat(300_000) });
    await fs.writeFile(whole, body);
    const ok = await verifyBackup(whole, { depth: 'quick' });
    assert.equal(ok.ok, true, ok.problem);
    assert.match(ok.checks[0], /3 entries/);
    const cut = join(dir, 'config', 'config_20260126.tar.gz');
    await fs.writeFile(cut, body.subarray(0, Math.floor(body.length * 0.6)));
    const bad = await verifyBackup(cut, { depth: 'quick' });
    assert.equal(bad.ok, false);
    assert.match(bad.problem ?? '', /truncated|not a readable/);
  });
});
