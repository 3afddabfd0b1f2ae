import * as assert from 'node:assert/strict';
import { formatAge, formatDuration, notificationText, progressMessage } from '../../../src/core/common';
import {
  backupCreatedNotice,
  cleanupLogLine,
  configArchivedNotice,
  databaseRestoredNotice,
  leftStoppedNotice,
  newBackupFailedNotice,
  problemAbout,
  quoteList,
  snapshotCreatedNotice,
  verifyAllNotice,
  verifyNotice,
  volumeRecreatedNotice,
  volumeRestoredNotice,
} from '../../../src/core/reports';
import type { VerifyResult } from '../../../src/core/verify';

const dir = '/home/dev/sms/backups/database';
const file = `${dir}/sms_backup_20261127_194631.sql.gz`;
const snapshot = '/home/dev/sms/backups/volumes/volume_sms_postgres_data_20261127_194631.tar.gz';

const passed: VerifyResult = {
  path: file,
  depth: 'full',
  ok: true,
  checks: ['gzip whole', 'test restore into a throwaway database: 12 tables, 26,242 rows match'],
  notes: ['no manifest checksum to compare'],
};
const truncated: VerifyResult = {
  path: file,
  depth: 'quick',
  ok: false,
  checks: [],
  notes: [],
  problem: `${file} is truncated: its gzip stream ends early.`,
};
const changed: VerifyResult = {
  path: snapshot,
  depth: 'quick',
  ok: false,
  checks: [],
  notes: [],
  problem: '"volume_sms_postgres_data_20261127_194631.tar.gz" does not match its manifest (sha256 differs): it changed after it was made.',
};

/** Every sentence a notification says after a command, with numbers big enough to need grouping. */
const messages: Record<string, string> = {
  backupCreated: backupCreatedNotice({
    path: file,
    verifiedDepth: 'quick',
    encrypted: false,
    bytes: 5_400_000,
    tables: { users: 26_242, orders: 1 },
  }),
  backupEncrypted: backupCreatedNotice({ path: `${file}.age`, encrypted: true, bytes: 900, tables: {} }),
  snapshotStopped: snapshotCreatedNotice({
    path: snapshot,
    verified: true,
    encrypted: false,
    bytes: 48_000_000,
    stopped: ['sms-db', 'sms-web'],
    live: false,
  }),
  snapshotLive: snapshotCreatedNotice({ path: snapshot, verified: false, encrypted: true, bytes: 48_000_000, stopped: [], live: true }),
  configArchived: configArchivedNotice({
    path: '/w/backups/config/config_20261127_194631.tar.gz',
    verified: true,
    encrypted: false,
    bytes: 12_000,
    files: 12_345,
    missing: ['.env'],
    skipped: [{ path: 'big.bin', reason: 'larger than 256 MB' }],
  }),
  volumeRestored: volumeRestoredNotice({
    volume: 'sms_postgres_data',
    file: snapshot,
    durationMs: 12_345,
    restarted: ['sms-db', 'sms-web'],
    kept: `${snapshot}.safety`,
  }),
  volumeRecreated: volumeRecreatedNotice({
    volume: 'sms_postgres_data',
    file: snapshot,
    durationMs: 1_234,
    note: 'It was made with the `local` driver',
  }),
  databaseRestored: databaseRestoredNotice({
    live: 'sms_db',
    file,
    preRestore: 'sms_db_pre_restore_20261127_194631',
    migration: ['alembic', 'upgrade', 'head'],
    healthMs: 1_500,
  }),
  verifyPassed: verifyNotice(passed),
  verifyTruncated: verifyNotice(truncated),
  verifyChanged: verifyNotice(changed),
  newBackupFailed: newBackupFailedNotice(truncated),
  verifyAllPassed: verifyAllNotice([passed, passed], 'quick'),
  verifyAllFailed: verifyAllNotice([passed, truncated, changed], 'full'),
  leftStoppedOne: leftStoppedNotice({ down: ['sms-web'], operation: 'database restore', pid: 4321, startedAt: '2026-11-27T19:46:31.123Z' }),
  leftStoppedTwo: leftStoppedNotice({
    down: ['sms-web', 'sms-worker'],
    operation: 'swap back',
    pid: 4321,
    startedAt: '2026-11-27T19:46:31Z',
  }),
  leftStoppedBySnapshot: leftStoppedNotice({
    down: ['sms-db', 'sms-web'],
    operation: 'volume snapshot',
    pid: 4321,
    startedAt: '2026-11-27T19:46:31Z',
    volume: 'sms_postgres_data',
  }),
  leftStoppedByVolumeRestore: leftStoppedNotice({
    down: ['sms-db'],
    operation: 'volume restore',
    pid: 4321,
    startedAt: '2026-11-27T19:46:31Z',
    volume: 'sms_postgres_data',
  }),
  cleanupLog: cleanupLogLine('database', 12_000, 3_000_000_000),
  errorWithHint: notificationText('wrong passphrase or key', 'The passphrase does not open `x.age`'),
};

describe('message style: what notifications say', () => {
  for (const [name, text] of Object.entries(messages)) {
    it(`${name}: ${text}`, () => {
      assert.match(text, /^[A-Z"\d]/, 'starts with a capital, a quoted name or a count');
      assert.match(text, /[.!?]$/, 'ends with a full stop');
      assert.doesNotMatch(text, /`/, 'no Markdown backticks: notifications show them literally');
      assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no raw ISO time');
      assert.doesNotMatch(text, /(?<![\d,._])\d{5,}(?![\d,])/, 'numbers of 10,000 and more are grouped');
      assert.doesNotMatch(text, /\bFAILED\b/, 'sentence case, not shouting');
      assert.doesNotMatch(text, /\.\./, 'no doubled full stops');
    });
  }

  it('names are in double quotes', () => {
    assert.match(messages.backupCreated, /: "sms_backup_20261127_194631\.sql\.gz" \(/);
    assert.match(
      messages.volumeRestored,
      /^Restored "sms_postgres_data" from "volume_sms_postgres_data_20261127_194631\.tar\.gz" in 12 s; "sms-db" and "sms-web" are running again\./,
    );
    assert.match(messages.databaseRestored, /kept as "sms_db_pre_restore_20261127_194631"\./);
  });

  it('counts read the same everywhere: "26,242 rows", "1 row"', () => {
    assert.match(messages.backupCreated, /2 tables, 26,243 rows\)\.$/);
    assert.match(messages.configArchived, /12,345 files/);
    assert.match(backupCreatedNotice({ path: file, encrypted: false, bytes: 1, tables: { t: 1 } }), /1 table, 1 row\)/);
  });

  it('a failure names the file once and leaves the full path to the log', () => {
    for (const text of [messages.verifyTruncated, messages.newBackupFailed, messages.verifyChanged]) {
      assert.doesNotMatch(text, /\/home\/dev/, text);
      assert.equal(
        text.split('sms_backup_20261127_194631.sql.gz').length + text.split('volume_sms_postgres_data_20261127_194631.tar.gz').length - 2,
        1,
        text,
      );
    }
    assert.equal(
      messages.verifyTruncated,
      '"sms_backup_20261127_194631.sql.gz" failed quick verification: the file is truncated: its gzip stream ends early.',
    );
    assert.equal(
      messages.verifyChanged,
      '"volume_sms_postgres_data_20261127_194631.tar.gz" failed quick verification: the file does not match its manifest (sha256 differs): it changed after it was made.',
    );
    assert.equal(problemAbout(file, undefined), 'unknown error.');
  });

  it('Verify All names at most five failures and counts the rest', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({ ...truncated, path: `${dir}/sms_backup_2026112${i}_000000.sql.gz` }));
    assert.match(
      verifyAllNotice(many, 'quick'),
      /^8 of 8 backups failed verification: ("[^"]+", ){4}"[^"]+" and 3 more\. "Show Log" says why\.$/,
    );
  });

  it('ages and durations: "just now" under a minute, tenths only for short spans', () => {
    const now = new Date('2026-11-27T19:46:00Z');
    assert.equal(formatAge(new Date(now.getTime() - 30_000), now), 'just now');
    assert.equal(formatDuration(12_345), '12 s');
    assert.equal(formatDuration(1_234), '1.2 s');
  });
});

describe('message style: progress lines', () => {
  const fmt = (title: string, phase: string, bytes?: number, total?: number) => progressMessage(title, { phase, bytes, total }, 2_000);

  it('a phase that repeats the title is left out ("Snapshotting x: Snapshotting x")', () => {
    assert.equal(fmt('Lifeboat: Encrypting sms_backup.sql.gz', 'Encrypting sms_backup.sql.gz', 1024, 4096), '1.0 KB of 4.0 KB · 512 B/s');
    assert.equal(fmt('Lifeboat: Snapshotting sms_postgres_data', 'Snapshotting sms_postgres_data…'), '');
  });

  it('no rate in the first half second, when it would be a guess', () => {
    assert.equal(
      progressMessage('Lifeboat: Backing up sms_db', { phase: 'Dumping sms_db', bytes: 1024, total: 4096 }, 400),
      'Dumping sms_db · 1.0 KB of 4.0 KB',
    );
  });

  it('a phase that says something new is kept, before bytes and rate', () => {
    assert.equal(fmt('Lifeboat: Snapshotting sms_postgres_data', 'Stopping sms-db…'), 'Stopping sms-db…');
    assert.equal(fmt('Lifeboat: Backing up sms_db', 'Dumping sms_db', 3 * 1024 * 1024), 'Dumping sms_db · 3.0 MB · 1.5 MB/s');
  });
});

describe('message style: one thing, or none, said in the singular', () => {
  it('lists of names: none, one, and several joined with "and"', () => {
    assert.equal(quoteList([]), '');
    assert.equal(quoteList(['sms-db']), '"sms-db"');
    assert.equal(quoteList(['sms-db', 'sms-web', 'sms-worker']), '"sms-db", "sms-web" and "sms-worker"');
  });

  it('a snapshot with one container stopped, or copied with nothing stopped and not live', () => {
    assert.equal(
      snapshotCreatedNotice({ path: snapshot, verified: false, encrypted: false, bytes: 2048, stopped: ['sms-db'], live: false }),
      'Snapshot created: "volume_sms_postgres_data_20261127_194631.tar.gz" (2.0 KB). "sms-db" was stopped for the copy and is running again.',
    );
    assert.equal(
      snapshotCreatedNotice({ path: snapshot, verified: false, encrypted: false, bytes: 2048, stopped: [], live: false }),
      'Snapshot created: "volume_sms_postgres_data_20261127_194631.tar.gz" (2.0 KB).',
    );
  });

  it('a config archive not verified, with nothing missing or left out', () => {
    assert.equal(
      configArchivedNotice({
        path: '/w/backups/config/config_20261127_194631.tar.gz',
        verified: false,
        encrypted: true,
        bytes: 10,
        files: 1,
        missing: [],
        skipped: [],
      }),
      'Config archived and encrypted: "config_20261127_194631.tar.gz" (1 file, 10 B).',
    );
  });

  it('a volume restore that restarted one container, or none, and kept no safety snapshot', () => {
    assert.equal(
      volumeRestoredNotice({ volume: 'sms_postgres_data', file: snapshot, durationMs: 2_000, restarted: ['sms-db'] }),
      'Restored "sms_postgres_data" from "volume_sms_postgres_data_20261127_194631.tar.gz" in 2.0 s; "sms-db" is running again.',
    );
    assert.equal(
      volumeRestoredNotice({ volume: 'sms_postgres_data', file: snapshot, durationMs: 2_000, restarted: [] }),
      'Restored "sms_postgres_data" from "volume_sms_postgres_data_20261127_194631.tar.gz" in 2.0 s.',
    );
  });

  it('a passed verification with nothing left unchecked says no "Not checked"', () => {
    assert.equal(
      verifyNotice({ ...passed, depth: 'quick', checks: ['gzip whole'], notes: [] }),
      '"sms_backup_20261127_194631.sql.gz" passed quick verification: gzip whole.',
    );
  });
});
