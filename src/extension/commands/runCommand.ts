import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { causeLines, LifeboatError, isCancelled, shortenPaths, notificationText, plainText } from '../../core/common';
import { uiAction } from '../uiAction';
import { uiHint } from '../uiHint';
import type { Lifeboat } from '../lifeboat';

export type CommandHandler = (lb: Lifeboat, ...args: unknown[]) => Promise<unknown>;

/** Errors shown by the last command; extension-host tests read it through the exported API. */
export const commandErrors: { last?: Error; text?: string } = {};

/**
 * The one wrapper every command runs in: a cancel shows nothing, a LifeboatError shows its
 * message and hint, anything else says which command failed; every error offers the log.
 * The message is not awaited, so the command's promise settles without a click. Paths are
 * shortened in the notification and kept whole in the log.
 */
export function runCommand(lb: Lifeboat, id: string, handler: CommandHandler): (...args: unknown[]) => Promise<unknown> {
  return async (...args: unknown[]) => {
    try {
      commandErrors.last = undefined;
      commandErrors.text = undefined;
      return await handler(lb, ...args);
    } catch (err) {
      if (isCancelled(err)) {
        lb.log.info(`${id}: cancelled`);
        return undefined;
      }
      const error = err instanceof Error ? err : new Error(String(err));
      commandErrors.last = error;
      const text =
        error instanceof LifeboatError
          ? notificationText(error.message, uiHint(error))
          : plainText(`Lifeboat: ${id.replace('lifeboat.', '')} failed: ${error.message}`);
      lb.log.error(`${id}: ${text}`);
      if (!(error instanceof LifeboatError) && error.stack) lb.log.error(error.stack);
      // The notification says what to do; the log keeps what went wrong underneath.
      for (const line of causeLines(error)) lb.log.error(line);
      const shown = shortenPaths(text, lb.stacks.folder?.uri.fsPath, homedir());
      commandErrors.text = shown;
      // A step one command away (save S3 keys) gets its own button beside the log.
      const action = error instanceof LifeboatError ? uiAction(error) : undefined;
      const buttons = action ? [action.title, 'Show Log'] : ['Show Log'];
      void vscode.window.showErrorMessage(shown, ...buttons).then((pick) => {
        if (pick === 'Show Log') lb.log.show();
        else if (pick && action) void vscode.commands.executeCommand(action.command);
      });
      return undefined;
    }
  };
}
