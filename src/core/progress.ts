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
