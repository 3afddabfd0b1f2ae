// The fault matrix: tests that inject a fault or a hostile input record what the user saw and
// what was left, and scripts/fault-matrix.mjs turns the records into docs/reliability.md.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface FaultCase {
  /** What was running: "database backup", "database restore", "volume restore"… */
  operation: string;
  /** The fault or hostile input, as the test names it. */
  fault: string;
  /** The message (and hint) the user got, or "nothing (cancelled)". */
  userSees: string;
  /** What the test found afterwards: files, databases, volume content. */
  leftOnDisk: string;
  /** True when an existing backup, database or volume content was changed or lost. */
  dataLost: boolean;
}

const LOG = process.env.LIFEBOAT_FAULT_LOG ?? join(__dirname, '..', '..', '..', 'test-results', 'fault-matrix.jsonl');

export function recordFault(c: FaultCase): void {
  mkdirSync(dirname(LOG), { recursive: true });
  appendFileSync(LOG, `${JSON.stringify(c)}\n`);
}

/** An error as the user reads it: the message, then the hint. */
export function shown(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const hint = (err as { hint?: string }).hint;
  return err.name === 'CancelledError' ? 'nothing (cancelled)' : `${err.message}${hint ? ` ${hint}` : ''}`;
}
