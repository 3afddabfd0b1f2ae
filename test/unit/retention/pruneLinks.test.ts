import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupEntry } from '../../../src/core/store';
import { LifeboatError } from '../../../src/core/common';
import { assertPlanKeepsEnough, pruneBackups } from '../../../src/core/retention';
import type { RetentionDecision, RetentionPlan, SeriesPlan } from '../../../src/core/retention';

describe('pruneBackups and links', () => {
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-prunelink-'));
    outside = await fs.mkdtemp(join(tmpdir(), 'lb-prunelink-outside-'));
    await fs.mkdir(join(dir, 'database'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });

  it("a symbolic link with a backup's name is left alone, and so is the file it points to", async () => {
    const target = join(outside, 'precious.sql.gz');
    await fs.writeFile(target, 'not ours');
    const link = join(dir, 'database', 'sms_backup_20200101_020000.sql.gz');
    await fs.symlink(target, link);
    // Newer ones so that retention keeps something and wants the old link gone.
    for (const d of ['20991230', '20991231']) await fs.writeFile(join(dir, 'database', `sms_backup_${d}_020000.sql.gz`), 'data');
    // No `now`: the clock of the run decides, and 2020 is old by any reading of it.
    const r = await pruneBackups(dir, { database: { maxAgeDays: 30 }, config: {}, volume: {} });
    assert.deepEqual(r.removed, []);
    assert.deepEqual(r.failures, [{ path: link, message: `${link} is not a regular file; it was left alone.` }]);
    assert.equal(await fs.readFile(target, 'utf8'), 'not ours');
    assert.equal((await fs.lstat(link)).isSymbolicLink(), true);
  });
});

describe('assertPlanKeepsEnough: contract 6 checked on the plan itself', () => {
  const at = (d: string) => new Date(`${d}T02:00:00Z`);
  const entry = (name: string, d: string, state: BackupEntry['state']): BackupEntry => ({
    path: `/b/volumes/${name}`,
    fileName: name,
    kind: 'volume',
    subject: 'sms_data',
    createdAt: at(d),
    bytes: 1,
    mtime: at(d),
    state,
  });
  const plan = (decisions: RetentionDecision[]): RetentionPlan => ({
    now: at('2026-01-10'),
    series: [{ kind: 'volume', subject: 'sms_data', decisions } as SeriesPlan],
    keep: decisions.filter((d) => d.keep).map((d) => d.entry),
    remove: decisions.filter((d) => !d.keep).map((d) => d.entry),
  });
  const older = entry('volume_sms_data_20260101_020000.tar.gz', '2026-01-01', 'verified');
  const newer = entry('volume_sms_data_20260105_020000.tar.gz', '2026-01-05', 'unverified');

  it('refuses a plan that deletes a whole series, naming it', () => {
    assert.throws(
      () =>
        assertPlanKeepsEnough(
          plan([
            { entry: older, keep: false, reasons: [] },
            { entry: newer, keep: false, reasons: [] },
          ]),
        ),
      (err: Error) =>
        err instanceof LifeboatError &&
        err.message === 'Cleanup refused: it would delete every volume (sms_data) backup.' &&
        /Nothing was deleted/.test(err.hint ?? ''),
    );
  });

  it('refuses a plan that deletes the newest verified backup even when a newer unverified one stays', () => {
    assert.throws(
      () =>
        assertPlanKeepsEnough(
          plan([
            { entry: older, keep: false, reasons: [] },
            { entry: newer, keep: true, reasons: [] },
          ]),
        ),
      /Cleanup refused: it would delete the newest verified volume \(sms_data\) backup\./,
    );
    assert.doesNotThrow(() =>
      assertPlanKeepsEnough(
        plan([
          { entry: older, keep: true, reasons: [] },
          { entry: newer, keep: false, reasons: [] },
        ]),
      ),
    );
    assert.doesNotThrow(() => assertPlanKeepsEnough(plan([])));
    const config = { ...older, kind: 'config' as const, subject: undefined };
    assert.throws(
      () =>
        assertPlanKeepsEnough({
          ...plan([]),
          series: [{ kind: 'config', policy: {}, decisions: [{ entry: config, keep: false, reasons: [] }] }],
        }),
      /it would delete every config backup\./,
    );
  });
});
