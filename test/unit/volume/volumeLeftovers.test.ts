import * as assert from 'node:assert/strict';
import { InterruptedRestoreError, checkLeftovers } from '../../../src/core/volume';

describe('checkLeftovers: what an interrupted volume restore left at the top of the volume', () => {
  it('lets copies through: no leftovers, an unpacked snapshot, an empty safety folder', () => {
    checkLeftovers('v', undefined, 'alpine');
    checkLeftovers('v', {}, 'alpine');
    checkLeftovers('v', { '.lifeboat-restore-a1': 40, '.lifeboat-safety-b2': 0 }, 'alpine');
  });

  it('refuses when a safety folder holds the previous content, naming each with its count and how to settle it', () => {
    assert.throws(
      () =>
        checkLeftovers(
          'sms_postgres_data',
          { '.lifeboat-restore-a1': 3, '.lifeboat-safety-b2': 1, '.lifeboat-safety-c3': 12 },
          'postgres:15',
        ),
      (err: Error) => {
        assert.ok(err instanceof InterruptedRestoreError);
        assert.match(
          err.message,
          /^The volume "sms_postgres_data" still holds the previous content of an interrupted restore, kept in \.lifeboat-safety-b2 \(1 entry\), \.lifeboat-safety-c3 \(12 entries\)\. Nothing was changed/,
        );
        assert.match(err.hint ?? '', /docker run --rm -it -v sms_postgres_data:\/data postgres:15 sh/);
        assert.match(err.hint ?? '', /\/data\/\.lifeboat-safety-b2 up into \/data/);
        return true;
      },
    );
  });

  it('names the containers a killed restore left stopped, and the command that starts them', () => {
    assert.throws(
      () => checkLeftovers('sms_postgres_data', { '.lifeboat-safety-b2': 5 }, 'postgres:15', ['sms-web', 'sms-db']),
      (err: Error) => {
        assert.ok(err instanceof InterruptedRestoreError);
        assert.match(
          err.message,
          /The interrupted restore left "sms-web", "sms-db" stopped; Lifeboat does not start them on a half-swapped volume\.$/,
        );
        assert.match(err.hint ?? '', /Then start the containers again \(`docker start sms-web sms-db`\)\.$/);
        return true;
      },
    );
    assert.throws(
      () => checkLeftovers('v', { '.lifeboat-safety-b2': 5 }, 'alpine'),
      (err: Error) => {
        assert.ok(err instanceof InterruptedRestoreError);
        assert.doesNotMatch(err.message, /left .* stopped/);
        assert.match(
          err.hint ?? '',
          /`docker compose start` in the stack's folder\): the interrupted restore may have left them stopped\.$/,
        );
        return true;
      },
    );
  });
});
