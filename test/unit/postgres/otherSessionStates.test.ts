import * as assert from 'node:assert/strict';
import { OtherSession, describeOtherSessions } from '../../../src/core/postgres';
import { inBerlinTime } from '../../support/timeZone';

describe('describeOtherSessions: the less common session states', () => {
  inBerlinTime();
  const now = new Date('2026-07-01T12:30:00Z');
  const at = (hhmm: string) => new Date(`2026-07-01T${hhmm}:00+02:00`);
  const session = (over: Partial<OtherSession>): OtherSession => ({
    pid: 100,
    database: 'sms_db',
    application: 'psql',
    user: 'sms_user',
    client: '127.0.0.1',
    state: 'active',
    inTransaction: false,
    connectedSince: at('13:00'),
    stateSince: at('14:20'),
    ...over,
  });

  it('a query outside a transaction, a fast-path call, and a session that says nothing of its times', () => {
    const lines = describeOtherSessions(
      [
        session({ pid: 1 }),
        session({ pid: 2, state: 'fastpath function call', application: 'etl' }),
        session({ pid: 3, state: 'disabled', application: 'cron', connectedSince: undefined, stateSince: undefined }),
      ],
      'sms_db',
      now,
    );
    assert.deepEqual(lines.slice(1).sort(), [
      '"cron" (sms_user from 127.0.0.1), what it is doing is hidden from this database user.',
      '"etl" (sms_user from 127.0.0.1), fastpath function call, connected since 13:00.',
      '"psql" (sms_user from 127.0.0.1), running a query since 14:20.',
    ]);
  });
});
