import * as vscode from 'vscode';
import { type OperationOptions, type ProgressUpdate, progressMessage } from '../../core/common';

/**
 * Runs core work in a cancellable progress notification. The CancellationToken becomes the
 * AbortSignal core functions take; the message shows phase, bytes and rate, updated at most
 * five times a second so a fast stream does not flood the UI.
 */
export function runWithProgress<T>(
  title: string,
  work: (op: Required<Pick<OperationOptions, 'signal' | 'progress'>>) => Promise<T>,
): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      const started = Date.now();
      let lastShown = 0;
      let lastPhase = '';
      const report = (u: ProgressUpdate) => {
        const now = Date.now();
        if (u.phase === lastPhase && now - lastShown < 200) return;
        lastShown = now;
        lastPhase = u.phase;
        progress.report({ message: progressMessage(title, u, now - started) });
      };
      try {
        return await work({ signal: ac.signal, progress: report });
      } finally {
        sub.dispose();
      }
    }),
  );
}
