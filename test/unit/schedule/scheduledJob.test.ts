import * as assert from 'node:assert/strict';
import { LifeboatError } from '../../../src/core/common';
import type { BackupKind } from '../../../src/core/store';
import { ScheduledJobParts, scheduledJob } from '../../../src/core/schedule';
import type { VerifyDepth, VerifyResult } from '../../../src/core/verify';

/** A scheduled run's order of work: backup, verify, and prune only after both succeeded. */
describe('scheduledJob (backup → verify → prune)', () => {
  let calls: string[];
  let verdict: (path: string) => boolean;
  let made: string[] | Error;

  function parts(over: Partial<ScheduledJobParts> = {}): ScheduledJobParts {
    return {
      depth: 'quick',
      backup: async (kind: BackupKind) => {
        calls.push(`backup ${kind}`);
        if (made instanceof Error) throw made;
        return made;
      },
      verify: async (path: string, depth: VerifyDepth): Promise<VerifyResult> => {
        calls.push(`verify ${path} ${depth}`);
        const ok = verdict(path);
        return { path, depth, ok, checks: [], notes: [], problem: ok ? undefined : 'gzip stream is truncated' };
      },
      prune: async (kind: BackupKind) => {
        calls.push(`prune ${kind}`);
      },
      ...over,
    };
  }

  beforeEach(() => {
    calls = [];
    verdict = () => true;
    made = ['/b/database/sms_backup_20261127_020000.sql.gz'];
  });

  it('prunes after a backup that was made and verified', async () => {
    const outcome = await scheduledJob(parts())('database');
    assert.deepEqual(calls, ['backup database', 'verify /b/database/sms_backup_20261127_020000.sql.gz quick', 'prune database']);
    assert.equal(outcome.ok, true);
    assert.match(outcome.summary, /sms_backup_20261127_020000\.sql\.gz, verified \(quick\), cleaned up/);
  });

  it('never prunes when the backup fails', async () => {
    made = new LifeboatError('pg_dump failed (exit code 1): FATAL: the database system is starting up');
    await assert.rejects(scheduledJob(parts())('database'), /pg_dump failed/);
    assert.deepEqual(calls, ['backup database']);
  });

  it('never prunes when the new backup fails verification, and says so', async () => {
    verdict = () => false;
    const outcome = await scheduledJob(parts())('database');
    assert.equal(outcome.ok, false);
    assert.match(outcome.problem ?? '', /failed verification \(quick\): gzip stream is truncated\. Nothing was cleaned up/);
    assert.ok(!calls.some((c) => c.startsWith('prune')), calls.join('; '));
  });

  it('never prunes when one of several volume snapshots fails verification', async () => {
    made = ['/b/volumes/volume_a_1.tar.gz', '/b/volumes/volume_b_1.tar.gz'];
    verdict = (p) => !p.includes('volume_b');
    const outcome = await scheduledJob(parts())('volume');
    assert.equal(outcome.ok, false);
    assert.ok(!calls.some((c) => c.startsWith('prune')), calls.join('; '));
  });

  it('never prunes when a run made no backup', async () => {
    made = [];
    const outcome = await scheduledJob(parts())('volume');
    assert.equal(outcome.ok, false);
    assert.deepEqual(calls, ['backup volume']);
  });

  it('verifies at least quickly even when verification on create is off, and fully when asked', async () => {
    await scheduledJob(parts({ depth: 'off' }))('config');
    await scheduledJob(parts({ depth: 'full' }))('database');
    assert.deepEqual(
      calls.filter((c) => c.startsWith('verify')).map((c) => c.split(' ').at(-1)),
      ['quick', 'full'],
    );
  });

  it('reports a failed cleanup as a failed run, with the backup kept', async () => {
    const outcome = await scheduledJob(
      parts({
        prune: async () => {
          throw new LifeboatError('Cannot delete x: EACCES.');
        },
      }),
    )('database');
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.files, ['/b/database/sms_backup_20261127_020000.sql.gz']);
    assert.match(outcome.problem ?? '', /made and verified, but the cleanup failed: Cannot delete x/);
  });

  it('runs the after-verify step (encryption) before pruning, and prunes nothing when it fails', async () => {
    const seal = async (path: string) => {
      calls.push(`seal ${path}`);
    };
    await scheduledJob(parts({ afterVerify: seal }))('database');
    assert.deepEqual(
      calls.map((c) => c.split(' ')[0]),
      ['backup', 'verify', 'seal', 'prune'],
    );
    calls = [];
    const outcome = await scheduledJob(
      parts({
        afterVerify: async () => {
          throw new LifeboatError('encrypting it failed, so it is kept UNENCRYPTED');
        },
      }),
    )('database');
    assert.equal(outcome.ok, false);
    assert.match(outcome.problem ?? '', /kept UNENCRYPTED.*Nothing was cleaned up/);
    assert.ok(!calls.some((c) => c.startsWith('prune')), calls.join('; '));
  });

  it('works without a prune hook', async () => {
    const outcome = await scheduledJob(parts({ prune: undefined }))('database');
    assert.equal(outcome.ok, true);
    assert.deepEqual(calls.length, 2);
  });
});
