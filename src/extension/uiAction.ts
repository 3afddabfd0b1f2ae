import type { LifeboatError } from '../core/common';

/** A button that takes an error's step at once, beside "Show Log": its title and the command it runs. */
export interface UiAction {
  title: string;
  command: string;
}

/** The button for the step core named, when the step is one command away. */
export function uiAction(err: LifeboatError): UiAction | undefined {
  if (err.ui === 's3-keys') return { title: 'Set S3 Keys…', command: 'lifeboat.setS3Keys' };
  if (err.ui === 's3-keys-again') return { title: 'Try Again…', command: 'lifeboat.setS3Keys' };
  return undefined;
}
