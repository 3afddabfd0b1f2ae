// UI steps for issue 10's recovery from off-site copies: a backup copied to a folder destination
// from the palette, then the local backup folder "lost" (pointed at an empty one), the Off-site
// group showing what is only there, and Restore from Off-site from its context menu running the
// download, the manifest check and the dry run before the usual modal. ui-flow.ts lists it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { machineSettings } from './machineSettings';
import { clearNotifications, modalFromMenu } from './safeChoiceSteps';
import { expectUnchanged, stackState } from './stackState';
import { pickFromPalette, runCommandFromPalette, screenshot, waitForNotification, type Workbench } from './ui-flow';

export async function restoreFromOffsite(wb: Workbench): Promise<void> {
  const { page } = wb;
  const before = stackState();
  const nas = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ui-nas-'));
  const lost = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ui-lost-'));
  const offsite = { 'lifeboat.offsite.destination': nas, 'lifeboat.offsite.requireEncryption': false };
  let putBack = machineSettings(wb, offsite);
  try {
    await page.keyboard.press('Escape');
    await clearNotifications(wb);
    await page.waitForTimeout(1500); // VS Code reads the changed settings file
    await pickFromPalette(wb, 'Lifeboat: Copy Off-site', /sms_backup_\d{8}_\d{6}\.sql\.gz(?!\.)/);
    const copied = await waitForNotification(wb, /^Copied "sms_backup_\d{8}_\d{6}\.sql\.gz" to the folder /, 120_000);
    console.log(`[ui] notification: ${copied}`);
    const name = /"(sms_backup_\d{8}_\d{6}\.sql\.gz)"/.exec(copied)![1];

    // The disk with the backups is gone: the backup folder is now an empty one.
    putBack();
    putBack = machineSettings(wb, { ...offsite, 'lifeboat.backupDirectory': lost });
    await page.waitForTimeout(1500);
    await runCommandFromPalette(wb, 'Lifeboat: Refresh Backups');
    const group = page.locator('.part.sidebar .monaco-list-row', { hasText: /^Off-site/ }).first();
    await group.waitFor({ timeout: 30_000 });
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: /off-site only/ }).first();
    if (!(await row.isVisible())) await group.click();
    await row.waitFor({ timeout: 30_000 });
    await page.mouse.move(900, 600);
    await page.waitForTimeout(500);
    await screenshot(wb, 'offsite-group');

    await clearNotifications(wb);
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'Replace the live database' });
    await modalFromMenu(wb, row, 'Restore from Off-site…', dialog).catch(async (err) => {
      // The download and the dry run come before the modal: the menu's click may be long gone.
      await dialog.waitFor({ timeout: 180_000 }).catch(() => {
        throw err;
      });
    });
    const detail = await dialog.innerText();
    console.log(`[ui] the modal after the download: ${JSON.stringify(detail)}`);
    if (!/Dry run passed/.test(detail)) throw new Error(`the modal does not report the dry run: ${JSON.stringify(detail)}`);
    await screenshot(wb, 'restore-from-offsite');
    await page.keyboard.press('Enter'); // "Keep Live Database" has the focus
    await waitForNotification(wb, /Database restore cancelled/, 60_000);
    const local = path.join(lost, 'database', name);
    if (!fs.existsSync(local) || !fs.existsSync(`${local}.json`))
      throw new Error(`the download is not in the backup folder: ${fs.readdirSync(lost)}`);
  } finally {
    putBack();
    fs.rmSync(nas, { recursive: true, force: true });
    fs.rmSync(lost, { recursive: true, force: true });
  }
  expectUnchanged(before, stackState(), 'Restore from Off-site answered with Enter');
}
