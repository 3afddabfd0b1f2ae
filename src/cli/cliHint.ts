import type { LifeboatError, UiStep } from '../core/common';

/** The command line's way to take a step core names; steps with no command-line form add nothing. */
const STEPS: Partial<Record<UiStep, string>> = {
  'preview-cleanup': '`lifeboat prune --dry-run` shows it.',
};

/** An error's hint as the command line prints it. */
export function cliHint(err: LifeboatError): string | undefined {
  const step = err.ui && STEPS[err.ui];
  if (!step) return err.hint;
  return err.hint ? `${err.hint} ${step}` : step;
}
