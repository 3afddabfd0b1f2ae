import * as assert from 'node:assert/strict';
import Docker from 'dockerode';
import { OtherSession, describeOtherSessions, otherSessions } from '../../../src/core/postgres';
import { inBerlinTime } from '../../support/timeZone';

describe('describeOtherSessions: what a swap modal says of the sessions it ends', () => {
  inBerlinTime();
  // 14:30 in Berlin (summer time).
  const now = new Date('2026-07-01T12:30:00Z');
  const at = (hhmm: string, day = '2026-07-01') => new Date(`${day}T${hhmm}:00+02:00`);
  const session = (over: Partial<OtherSession>): OtherSession => ({
    pid: 100,
    database: 'sms_db',
    application: 'psql',
    user: 'sms_user',
    client: '127.0.0.1',
    state: 'idle',
    inTransaction: false,
    connectedSince: at('13:00'),
    stateSince: at('13:10'),
    ...over,
  });

  it('says nothing when no other client is connected', () => {
    assert.deepEqual(describeOtherSessions([], 'sms_db', now), []);
  });

  it('an idle session: who, from where and since when, after one head that says it will be disconnected', () => {
    assert.deepEqual(describeOtherSessions([session({ application: 'pgAdmin 4 - DB:sms_db', client: '172.17.0.1' })], 'sms_db', now), [
      'The swap disconnects 1 other session of "sms_db":',
      '"pgAdmin 4 - DB:sms_db" (sms_user from 172.17.0.1), idle since 13:10.',
    ]);
  });

  it('an open transaction comes first and says its uncommitted work is lost', () => {
    const lines = describeOtherSessions(
      [
        session({ pid: 1, application: 'worker', client: undefined, connectedSince: at('09:00'), stateSince: at('09:01') }),
        session({ pid: 2, state: 'idle in transaction', inTransaction: true, transactionSince: at('14:03'), stateSince: at('14:05') }),
      ],
      'sms_db',
      now,
    );
    assert.deepEqual(lines, [
      'Uncommitted work will be lost: a session has a transaction open. The swap disconnects 2 other sessions of "sms_db":',
      '"psql" (sms_user from 127.0.0.1), idle in transaction since 14:03; its uncommitted work will be lost.',
      '"worker" (sms_user through the local socket), idle since 09:01.',
    ]);
  });

  it('running queries, failed transactions, other days, other databases and hidden details', () => {
    const lines = describeOtherSessions(
      [
        session({ pid: 1, state: 'active', inTransaction: true, transactionSince: at('14:29') }),
        session({ pid: 2, state: 'idle in transaction (aborted)', inTransaction: true, transactionSince: at('23:50', '2026-06-29') }),
        session({ pid: 3, database: 'sms_db_pre_restore_20260701_120000', application: '', stateSince: at('14:00') }),
        session({ pid: 4, state: '', application: '', client: undefined, connectedSince: undefined, stateSince: undefined }),
      ],
      'sms_db',
      now,
    );
    assert.deepEqual(lines, [
      'Uncommitted work will be lost: 2 sessions have transactions open. The swap disconnects 4 other sessions of "sms_db":',
      '"psql" (sms_user from 127.0.0.1), in a failed transaction since 29 Jun 23:50; its uncommitted work will be lost.',
      '"psql" (sms_user from 127.0.0.1), running a query, in a transaction since 14:29; its uncommitted work will be lost.',
      'A client without an application name (sms_user through the local socket), what it is doing is hidden from this database user.',
      'A client without an application name (sms_user from 127.0.0.1, on "sms_db_pre_restore_20260701_120000"), idle since 14:00.',
    ]);
  });

  it('at most five sessions by name, then how many more and how many of them are in a transaction', () => {
    const many = Array.from({ length: 8 }, (_, i) =>
      session({
        pid: i,
        application: `worker-${i}`,
        stateSince: at(`10:0${i}`),
        ...(i === 7 ? { state: 'active', inTransaction: true, transactionSince: at('14:20') } : {}),
      }),
    );
    const lines = describeOtherSessions(many, 'sms_db', now);
    assert.equal(lines.length, 1 + 5 + 1);
    assert.match(lines[1], /^"worker-7" .* running a query, in a transaction since 14:20; its uncommitted work will be lost\.$/);
    assert.deepEqual(
      lines.slice(2, 6).map((l) => l.split(' ')[0]),
      ['"worker-0"', '"worker-1"', '"worker-2"', '"worker-3"'],
    );
    assert.equal(lines[6], '3 more sessions.');
    const withOpen = describeOtherSessions(
      many.map((s) => (s.pid >= 2 ? { ...s, inTransaction: true, transactionSince: at('14:00') } : s)),
      'sms_db',
      now,
    );
    assert.equal(withOpen[6], '3 more sessions (1 in a transaction).');
  });
});

describe('otherSessions', () => {
  it('asks the server nothing when there is no database to ask about', async () => {
    // An engine nobody listens on: a question to the server would fail with ENOENT.
    const container = new Docker({ socketPath: '/nonexistent/docker.sock' }).getContainer('sms-db');
    assert.deepEqual(await otherSessions({ container, user: 'sms_user', database: 'sms_db' }, []), []);
  });
});
