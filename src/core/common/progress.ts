import { formatBytes, formatRate } from './format';
import { Logger, silentLogger } from './logger';

export interface ProgressUpdate {
  phase: string;
  bytes?: number;
  total?: number;
}

export type ProgressFn = (update: ProgressUpdate) => void;

export const noProgress: ProgressFn = () => {};

/** Shared options of every long-running core operation. */
export interface OperationOptions {
  signal?: AbortSignal;
  progress?: ProgressFn;
  logger?: Logger;
}

/** Options whose logger and progress callback are set: what a public entry hands inward. */
export type WithDefaults<T extends OperationOptions> = T & { progress: ProgressFn; logger: Logger };

/** Fills in the silent logger and the ignored progress once, at a public function's entry. */
export function withDefaults<T extends OperationOptions>(opts: T): WithDefaults<T> {
  return { ...opts, progress: opts.progress ?? noProgress, logger: opts.logger ?? silentLogger };
}

/** "Encrypting x…" and "encrypting x" say the same: case, trailing dots and an ellipsis aside. */
function sameWords(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .replace(/[.…\s]+$/, '')
      .trim()
      .toLowerCase();
  return norm(a) === norm(b);
}

/**
 * The line under a progress notification's title. The notification shows "title: message",
 * so a phase that only repeats the title ("Snapshotting x: Snapshotting x") is left out and
 * the bytes and rate stand alone; a phase that says something new is kept first.
 */
export function progressMessage(title: string, u: ProgressUpdate, elapsedMs: number): string {
  const subject = title.replace(/^Lifeboat:\s*/, '');
  const parts = sameWords(subject, u.phase) || !u.phase.trim() ? [] : [u.phase];
  if (u.bytes !== undefined) {
    parts.push(u.total ? `${formatBytes(u.bytes)} of ${formatBytes(u.total)}` : formatBytes(u.bytes));
    const rate = elapsedMs > 500 ? formatRate(u.bytes, elapsedMs) : '';
    if (rate) parts.push(rate);
  }
  return parts.join(' · ');
}
