import * as assert from 'node:assert/strict';
import { CancelledError } from '../../../src/core/common';
import { scheduledJob } from '../../../src/core/schedule';

/** A cancel (VS Code closing, the user stopping it) is not a failed run: it is passed on, never recorded as "failed". */
describe('scheduledJob and cancels', () => {
  const made = ['/b/database/sms_backup_20261127_020000.sql.gz'];
  const verify = async (path: string) => ({ path, depth: 'quick' as const, ok: true, checks: [], notes: [] });

  it('a cancel during the after-verify step is passed on, and nothing is pruned', async () => {
    let pruned = false;
    const job = scheduledJob({
      depth: 'quick',
      backup: async () => made,
      verify,
      afterVerify: async () => {
        throw new CancelledError();
      },
      prune: async () => {
        pruned = true;
      },
    });
    await assert.rejects(job('database'), CancelledError);
    assert.equal(pruned, false);
  });

  it('a cancel during the cleanup is passed on, not reported as a failed cleanup', async () => {
    const job = scheduledJob({
      depth: 'quick',
      backup: async () => made,
      verify,
      prune: async () => {
        throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      },
    });
    await assert.rejects(job('database'), (err: Error) => err.name === 'AbortError');
  });

  it('without a cleanup step the run ends after the verification', async () => {
    const outcome = await scheduledJob({ depth: 'quick', backup: async () => made, verify })('database');
    assert.deepEqual(outcome, { ok: true, summary: 'sms_backup_20261127_020000.sql.gz, verified (quick)', files: made });
  });
});
