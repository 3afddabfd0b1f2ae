import { formatDuration } from '../common';
import type { Destination } from './destination';
import { OffsiteState, readOffsiteState } from './offsiteCopies';

/** How long the Backups view waits for a destination's listing before it shows what it has without it. */
export const OFFSITE_VIEW_TIMEOUT_MS = 10_000;

export interface OffsiteStateWithinOptions {
  /** Default OFFSITE_VIEW_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Given the listing's own state when it ends after the wait was given up, so a view can show it then. */
  late?: (state: OffsiteState) => void;
}

/**
 * `readOffsiteState` for a view that must not hang on the network: a server that accepts the
 * connection and never answers would hold it for minutes (the S3 client's request timeout,
 * three attempts; the SSH login's own timeout). After `timeoutMs` the state says the destination
 * is not reachable; the listing is not cancelled but goes on to its end, then `late` gets what
 * it found and the destination is closed. Commands list without this limit, since a copy or a
 * download to a slow destination still works.
 */
export function readOffsiteStateWithin(destination: Destination, opts: OffsiteStateWithinOptions = {}): Promise<OffsiteState> {
  const timeoutMs = opts.timeoutMs ?? OFFSITE_VIEW_TIMEOUT_MS;
  const listing = readOffsiteState(destination).finally(() => destination.close?.());
  return new Promise<OffsiteState>((resolve) => {
    let waiting = true;
    const timer = setTimeout(() => {
      waiting = false;
      const where = destination.describe();
      resolve({
        where,
        copies: new Map(),
        backups: [],
        problem: `Not reachable: ${where} did not answer (timed out after ${formatDuration(timeoutMs)}). Refresh to try again.`,
        timedOutAfterMs: timeoutMs,
      });
    }, timeoutMs);
    void listing.then((state) => {
      clearTimeout(timer);
      if (waiting) resolve(state);
      else opts.late?.(state);
    });
  });
}
