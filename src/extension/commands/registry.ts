import * as vscode from 'vscode';
import type { Lifeboat } from '../lifeboat';
import { archiveConfig } from './archiveConfig';
import { cleanUp } from './cleanUp';
import { backupDatabase } from './backupDatabase';
import { copyBackupPath } from './copyBackupPath';
import { copyOffsite } from './copyOffsite';
import { decryptBackup } from './decryptBackup';
import { downloadOffsite } from './downloadOffsite';
import { deleteBackup } from './deleteBackup';
import { healthCheck } from './healthCheck';
import { dropScratchDatabases } from './dropScratchDatabases';
import { dropSideDatabase } from './dropSideDatabase';
import { encryptBackup } from './encryptBackup';
import { exportSchedule } from './exportSchedule';
import { forgetPassphrase } from './forgetPassphrase';
import { openSettings } from './openSettings';
import { refresh } from './refresh';
import { restartStack } from './restartStack';
import { restoreConfig } from './restoreConfig';
import { restoreDatabase } from './restoreDatabase';
import { restoreFromOffsite } from './restoreFromOffsite';
import { restoreVolume } from './restoreVolume';
import { revealBackup } from './revealBackup';
import { CommandHandler, runCommand } from './runCommand';
import { showLog } from './showLog';
import { showStatus } from './showStatus';
import { setS3Keys } from './setS3Keys';
import { snapshotVolume } from './snapshotVolume';
import { swapBack } from './swapBack';
import { verifyAllBackups } from './verifyAllBackups';
import { verifyBackup } from './verifyBackup';
import { verifyOffsite } from './verifyOffsite';

/** Every command, one line each. `npm run check-commands` compares this with package.json. */
export const COMMANDS: Record<string, CommandHandler> = {
  'lifeboat.backupDatabase': backupDatabase,
  'lifeboat.refresh': refresh,
  'lifeboat.showLog': showLog,
  'lifeboat.openSettings': openSettings,
  'lifeboat.revealBackup': revealBackup,
  'lifeboat.copyBackupPath': copyBackupPath,
  'lifeboat.deleteBackup': deleteBackup,
  'lifeboat.restoreDatabase': restoreDatabase,
  'lifeboat.swapBack': swapBack,
  'lifeboat.dropSideDatabase': dropSideDatabase,
  'lifeboat.dropScratchDatabases': dropScratchDatabases,
  'lifeboat.encryptBackup': encryptBackup,
  'lifeboat.decryptBackup': decryptBackup,
  'lifeboat.copyOffsite': copyOffsite,
  'lifeboat.downloadOffsite': downloadOffsite,
  'lifeboat.restoreFromOffsite': restoreFromOffsite,
  'lifeboat.verifyOffsite': verifyOffsite,
  'lifeboat.forgetPassphrase': forgetPassphrase,
  'lifeboat.setS3Keys': setS3Keys,
  'lifeboat.verifyBackup': verifyBackup,
  'lifeboat.verifyAllBackups': verifyAllBackups,
  'lifeboat.archiveConfig': archiveConfig,
  'lifeboat.restoreConfig': restoreConfig,
  'lifeboat.restartStack': restartStack,
  'lifeboat.snapshotVolume': snapshotVolume,
  'lifeboat.restoreVolume': restoreVolume,
  'lifeboat.healthCheck': healthCheck,
  'lifeboat.cleanUp': cleanUp,
  'lifeboat.showStatus': showStatus,
  'lifeboat.exportSchedule': exportSchedule,
  // The Explorer's context menu shows titles without their category: these say "Lifeboat: …".
  'lifeboat.restoreDatabaseFromExplorer': restoreDatabase,
  'lifeboat.verifyBackupFromExplorer': verifyBackup,
  'lifeboat.encryptBackupFromExplorer': encryptBackup,
  'lifeboat.decryptBackupFromExplorer': decryptBackup,
  'lifeboat.copyOffsiteFromExplorer': copyOffsite,
  'lifeboat.restoreConfigFromExplorer': restoreConfig,
  'lifeboat.restoreVolumeFromExplorer': restoreVolume,
};

export function registerCommands(lb: Lifeboat): void {
  for (const [id, handler] of Object.entries(COMMANDS)) {
    lb.context.subscriptions.push(vscode.commands.registerCommand(id, runCommand(lb, id, handler)));
  }
}
