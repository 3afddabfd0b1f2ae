import * as vscode from 'vscode';
import type { Stack } from '../core/stack';
import type { OperationOptions } from '../core/common';
import { VerifyResult, verifyBackup } from '../core/verify';
import type { Lifeboat } from './lifeboat';
import { newBackupFailedNotice } from '../core/reports';

/**
 * Reads a new backup back as a restore would (lifeboat.verify.onCreate): the file is already
 * complete and kept; this proves it, and records the result in its manifest for the tree.
 * A full check needs the stack (a test restore); archives are checked quickly either way.
 */
export async function verifyNewBackup(lb: Lifeboat, path: string, op: OperationOptions, stack?: Stack): Promise<VerifyResult | undefined> {
  const setting = lb.stacks.settings.verifyOnCreate;
  if (setting === 'off') return undefined;
  const depth = setting === 'full' && stack ? 'full' : 'quick';
  return verifyBackup(path, { ...op, depth, docker: stack ? lb.stacks.engine : undefined, stack, logger: lb.log });
}

/** A new backup that does not read back is an error the user must see, whatever else succeeded. */
export function reportFailedVerification(lb: Lifeboat, result: VerifyResult): void {
  lb.log.error(`The new backup ${result.path} FAILED ${result.depth} verification: ${result.problem ?? 'unknown error'}`);
  void vscode.window.showErrorMessage(newBackupFailedNotice(result), 'Show Log').then((p) => {
    if (p) lb.log.show();
  });
}
