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
  logger?: import('./logger').Logger;
}
