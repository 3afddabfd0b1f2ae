import * as assert from 'node:assert/strict';
import { SettingsError, parseCron } from '../../../src/core/common';

function refused(expression: string, why: RegExp, setting?: string): void {
  assert.throws(
    () => parseCron(expression, setting),
    (err: Error) => err instanceof SettingsError && why.test(err.message),
    expression,
  );
}

describe('cron edges: the wording of refusals', () => {
  it('says how many fields there are, in the singular for one, and names the setting', () => {
    refused(
      'daily',
      /^Invalid cron expression "daily" in the setting lifeboat\.schedule\.database: it has 1 field, not 5\.$/,
      'lifeboat.schedule.database',
    );
    refused('0 2 * *', /^Invalid cron expression "0 2 \* \*": it has 4 fields, not 5\.$/);
    refused(undefined as unknown as string, /: it is empty\.$/);
  });

  it('a step with nothing to step over suggests the star form with the right ordinal', () => {
    refused('/11 * * * *', /write "\*\/11" for every 11th minute/);
    refused('/12 * * * *', /every 12th minute/);
    refused('/13 * * * *', /every 13th minute/);
    refused('/21 * * * *', /every 21st minute/);
    refused('/22 * * * *', /every 22nd minute/);
    refused('/23 * * * *', /every 23rd minute/);
    refused('/5 * * * *', /every 5th minute/);
    refused('/111 * * * *', /every 111th minute/);
  });
});
