import type { LifeboatError, UiStep } from '../core/common';

/** How VS Code offers each step core names: the view or command that takes it. */
const STEPS: Record<UiStep, string> = {
  'refresh-backups': 'Then refresh the Backups view.',
  'refresh-volumes': 'Refresh the Volumes view.',
  'choose-volume-snapshot': 'Choose a file from the Volumes group.',
  'preview-cleanup': 'Run "Lifeboat: Clean Up Old Backups" to see it.',
  's3-keys': 'Or save keys for this destination in the OS keychain with "Lifeboat: Set Off-site S3 Keys…".',
  's3-keys-again': '',
};

/** An error's hint as the extension shows it: core's words, then the UI's step when there is one. */
export function uiHint(err: LifeboatError): string | undefined {
  const step = err.ui && STEPS[err.ui];
  if (!step) return err.hint;
  return err.hint ? `${err.hint} ${step}` : step;
}
