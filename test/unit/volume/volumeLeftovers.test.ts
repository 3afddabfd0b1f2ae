import * as assert from 'node:assert/strict';
import { InterruptedRestoreError, PartlyRestoredError, checkLeftovers } from '../../../src/core/volume';

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

  it('says where each content is: all of it aside (only moving it up is left), or restored content beside it', () => {
    assert.throws(
      () => checkLeftovers('v', { '.lifeboat-safety-b2': 23 }, 'alpine', ['db'], 0),
      (err: Error) => {
        assert.ok(err instanceof InterruptedRestoreError);
        assert.match(
          err.message,
          /kept in \.lifeboat-safety-b2 \(23 entries\)\. Nothing else is at the top of the volume: the previous content is whole in that folder\./,
        );
        assert.match(err.hint ?? '', /move the entries of \/data\/\.lifeboat-safety-b2 up into \/data and delete the empty folder/);
        assert.doesNotMatch(err.hint ?? '', /out of the way/, 'nothing to move out of the way');
        return true;
      },
    );
    assert.throws(
      () => checkLeftovers('v', { '.lifeboat-safety-b2': 23 }, 'alpine', [], 1),
      (err: Error) => {
        assert.ok(err instanceof InterruptedRestoreError);
        assert.match(err.message, /Beside it, the top of the volume holds 1 other entry: content the restore brought in\./);
        assert.match(err.hint ?? '', /move the volume's other top-level entries out of the way/);
        return true;
      },
    );
  });

  it('refuses a volume a killed restore was re-creating: a part of a snapshot, nothing older, restore it again', () => {
    assert.throws(
      () => checkLeftovers('sms_postgres_data', { '.lifeboat-recreate-0a1b': 0 }, 'alpine'),
      (err: Error) => {
        assert.ok(err instanceof PartlyRestoredError);
        assert.match(
          err.message,
          /^The volume sms_postgres_data holds only a part of a snapshot: an interrupted restore was re-creating it\./,
        );
        assert.match(err.message, /nothing older in it is lost, and the snapshot file is unchanged\. Nothing was changed\.$/);
        assert.match(
          err.hint ?? '',
          /^Restore the snapshot again: the restore replaces this content\. Or remove the volume \(`docker volume rm sms_postgres_data`\)/,
        );
        return true;
      },
    );
  });
});
