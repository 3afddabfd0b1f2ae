import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_VERSION, Manifest } from '../../../src/core/store';
import { FolderDestination, planOffsiteRetention, pruneOffsite } from '../../../src/core/offsite';
import type { RetentionPolicies } from '../../../src/core/retention';

const NOW = new Date('2026-06-10T12:00:00Z');
const day = (d: number) => `sms_backup_202606${String(d).padStart(2, '0')}_020000.sql.gz`;

function manifest(name: string, verified?: boolean): Manifest {
  return {
    formatVersion: MANIFEST_VERSION,
    kind: 'database',
    createdAt: NOW.toISOString(),
    tool: { name: 'lifeboat', version: 'test' },
    source: {},
    compression: { format: 'gzip' },
    file: { name, bytes: 4, sha256: 'ab'.repeat(32) },
    verifications: verified === undefined ? [] : [{ at: NOW.toISOString(), depth: 'full', ok: verified }],
  };
}

describe('off-site retention (lifeboat.offsite.retention.*) at a folder destination', () => {
  let nas: string;
  let destination: FolderDestination;
  const keepLast = (n: number): RetentionPolicies => ({ database: { keepLast: n }, config: {}, volume: {} });
  const put = async (name: string, m?: Manifest) => {
    await fs.writeFile(join(nas, 'database', name), 'data');
    if (m) await fs.writeFile(join(nas, 'database', `${name}.json`), JSON.stringify(m));
  };
  const there = async () => (await fs.readdir(join(nas, 'database'))).sort();

  beforeEach(async () => {
    nas = await fs.mkdtemp(join(tmpdir(), 'lb-offsite-retention-'));
    await fs.mkdir(join(nas, 'database'));
    destination = new FolderDestination(nas);
    // Day 1 is the only verified copy; day 5 failed verification; day 4 came from the runbook (no manifest).
    await put(day(1), manifest(day(1), true));
    await put(day(2), manifest(day(2)));
    await put(day(3) + '.age', manifest(day(3) + '.age'));
    await put(day(4));
    await put(day(5), manifest(day(5), false));
    await fs.writeFile(join(nas, 'database', 'notes.txt'), 'not a backup');
  });
  afterEach(async () => {
    await fs.rm(nas, { recursive: true, force: true });
  });

  it('with no rule (the default) keeps every copy', async () => {
    const plan = await planOffsiteRetention(destination, { database: {}, config: {}, volume: {} }, NOW);
    assert.deepEqual(plan.remove, []);
    assert.equal(plan.keep.length, 5);
  });

  it('keepLast 2: the newest, the newest verified and the last two usable stay; a failed copy does not count; foreign files are not listed', async () => {
    const plan = await planOffsiteRetention(destination, keepLast(2), NOW);
    const decisions = Object.fromEntries(plan.series[0].decisions.map((d) => [d.entry.fileName, d.keep ? d.reasons.join('; ') : 'delete']));
    assert.deepEqual(decisions, {
      [day(5)]: 'newest backup (always kept)',
      [day(4)]: 'last 2 (#1)',
      [`${day(3)}.age`]: 'last 2 (#2)',
      [day(2)]: 'delete',
      [day(1)]: 'newest verified backup (always kept)',
    });
    assert.deepEqual(
      plan.remove.map((e) => e.path),
      [`database/${day(2)}`],
    );
  });

  it('prune deletes the copy and its manifest, only what the preview showed, and never a foreign file', async () => {
    const before = await there();
    const nothing = await pruneOffsite(destination, keepLast(2), { now: NOW, only: new Set(['database/other']) });
    assert.deepEqual(nothing.removed, []);
    assert.deepEqual(await there(), before);
    const result = await pruneOffsite(destination, keepLast(1), { now: NOW });
    assert.deepEqual(
      result.removed.map((r) => r.path),
      [`database/${day(2)}`, `database/${day(3)}.age`],
    );
    assert.equal(result.freedBytes, 8);
    assert.deepEqual(await there(), ['notes.txt', day(1), `${day(1)}.json`, day(4), day(5), `${day(5)}.json`]);
    assert.equal(existsSync(join(nas, 'database', `${day(2)}.json`)), false);
  });

  it('an unmounted destination is an error, not an empty plan', async () => {
    await fs.rm(nas, { recursive: true });
    await assert.rejects(planOffsiteRetention(destination, keepLast(1), NOW), /not|missing|mounted/i);
  });

  it('a copy that cannot be deleted there is reported as a failure; the others still go', async () => {
    const stubborn = Object.create(destination) as FolderDestination;
    stubborn.remove = async (path: string) => {
      if (path.startsWith(`database/${day(2)}`)) throw new Error('permission denied');
      return destination.remove(path);
    };
    const result = await pruneOffsite(stubborn, keepLast(1), { now: NOW });
    assert.deepEqual(
      result.removed.map((r) => r.path),
      [`database/${day(3)}.age`],
    );
    assert.deepEqual(result.failures, [{ path: `database/${day(2)}`, message: 'permission denied' }]);
    assert.ok((await there()).includes(day(2)));
  });
});
