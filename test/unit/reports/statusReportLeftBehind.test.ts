import * as assert from 'node:assert/strict';
import { buildStatusReport, renderStatusMarkdown, renderStatusText } from '../../../src/core/reports';

const now = new Date('2026-02-01T12:00:00Z');
const fresh = {
  path: '/b/database/sms_backup_20260201_110000.sql.gz',
  fileName: 'sms_backup_20260201_110000.sql.gz',
  kind: 'database' as const,
  createdAt: new Date('2026-02-01T11:00:00Z'),
  bytes: 1000,
  mtime: new Date('2026-02-01T11:00:00Z'),
  state: 'verified' as const,
};

describe('status report: containers left stopped and scratch databases left behind', () => {
  it('the Markdown lists each stopped container and the scratch databases with the commands that clear them', () => {
    const r = buildStatusReport({
      backupDir: '/b',
      entries: [fresh],
      now,
      maxAgeHours: 24,
      minFreeBytes: 0,
      leftStopped: [{ down: ['sms-web', 'sms-worker'], operation: 'database restore', pid: 4321, startedAt: '2026-02-01T10:00:00.000Z' }],
      scratch: { names: ['sms_db_verify_20260201'], dropCommand: 'docker exec sms-db dropdb -U sms sms_db_verify_20260201' },
    });
    assert.equal(r.status, 'warning');
    assert.deepEqual(r.problems, [
      '"sms-web" and "sms-worker" left stopped by an interrupted database restore',
      '1 scratch database left by interrupted dry runs',
    ]);
    const md = renderStatusMarkdown(r);
    assert.match(
      md,
      /\n- "sms-web" and "sms-worker" were stopped by an interrupted database restore \(process 4321, started .+\) and are still stopped\. Start them with "docker start sms-web sms-worker"\.\n/,
    );
    assert.match(
      md,
      /\n- Scratch databases left by interrupted dry runs: "sms_db_verify_20260201"\. Drop them with `docker exec sms-db dropdb -U sms sms_db_verify_20260201`\.\n/,
    );
    const text = renderStatusText(r);
    assert.match(text, /\n {2}Left stopped: "sms-web" and "sms-worker" were stopped/);
    assert.match(text, /\n {2}Scratch databases: "sms_db_verify_20260201" \(copies left by interrupted dry runs/);
  });
});
