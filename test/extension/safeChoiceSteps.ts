// UI steps for issue 14's "Enter on every destructive modal" and "cancel each kind of restore":
// each opens a modal as a user would, checks that the focused button is the one that changes
// nothing and what the modal and the toasts say, presses Enter (or cancels), and then reads the
// disk and Docker to prove that nothing happened. ui-flow.ts lists them among its STEPS.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { expectUnchanged, stackState } from './stackState';
import { focusedButton, runCommandFromPalette, screenshot, waitForNotification, type Workbench } from './ui-flow';

const PRE_RESTORE = /sms_db_pre_restore_\d{8}_\d{6}/;

function expectWording(text: string, phrases: RegExp[], what: string): void {
  const missing = phrases.filter((p) => !p.test(text));
  if (missing.length) throw new Error(`${what} does not say ${missing.join(' nor ')}: ${JSON.stringify(text)}`);
}

/** The message and detail of a modal, checked for a question and the phrases it must hold; logged. */
async function readDialog(dialog: Locator, phrases: RegExp[], what: string): Promise<string> {
  const message = (await dialog.locator('.dialog-message-text').innerText()).trim();
  const detail = (
    await dialog
      .locator('.dialog-message-detail')
      .innerText()
      .catch(() => '')
  ).trim();
  console.log(`[ui] ${what}: ${JSON.stringify(message)} / ${JSON.stringify(detail)}`);
  if (!message.endsWith('?')) throw new Error(`${what} does not ask a question: ${JSON.stringify(message)}`);
  expectWording(`${message}\n${detail}`, phrases, what);
  return `${message}\n${detail}`;
}

/** The focused button must be `safe`: what Enter (a habit) takes. */
async function expectSafeFocus(dialog: Locator, safe: string, what: string): Promise<void> {
  const focused = await focusedButton(dialog);
  const buttons = await dialog.locator('a.monaco-button').allInnerTexts();
  console.log(`[ui] ${what}: buttons ${JSON.stringify(buttons)}, focused ${JSON.stringify(focused)}`);
  if (focused !== safe) throw new Error(`${what}: the focused button is ${JSON.stringify(focused)}, not "${safe}"`);
}

/** Presses Enter on the modal and waits until it has gone. */
async function enterOn(wb: Workbench, dialog: Locator): Promise<void> {
  await wb.page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached', timeout: 15_000 });
}

/** A toast that must be a whole sentence with these phrases; returns its text. */
async function expectToast(wb: Workbench, re: RegExp, phrases: RegExp[], what: string): Promise<string> {
  const text = await waitForNotification(wb, re, 120_000);
  console.log(`[ui] ${what}: ${JSON.stringify(text)}`);
  if (!text.endsWith('.')) throw new Error(`${what} does not end with a full stop: ${JSON.stringify(text)}`);
  expectWording(text, phrases, what);
  return text;
}

/** So the next wait for a toast cannot find an old one with the same words. */
export async function clearNotifications(wb: Workbench): Promise<void> {
  await runCommandFromPalette(wb, 'Notifications: Clear All Notifications');
  await wb.page
    .locator('.notification-toast')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined);
}

/**
 * Right-click `row`, choose `item`, wait for `dialog`. A click on a menu that has just opened
 * can be lost (as can the menu, when the tree redraws): tried again, as a user would.
 */
export async function modalFromMenu(wb: Workbench, row: Locator, item: string, dialog: Locator): Promise<void> {
  const { page } = wb;
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    const action = page.locator('.context-view .action-item', { hasText: item }).first();
    // A menu opened while the tree redraws can come up without the item (CI, once): open it again.
    const shown = await action
      .waitFor({ timeout: 10_000 })
      .then(() => true)
      .catch(() => false);
    if (!shown) {
      if (attempt === 3) throw new Error(`the context menu never offered "${item}"`);
      await page.keyboard.press('Escape');
      continue;
    }
    await page.waitForTimeout(300);
    await action.click();
    try {
      await dialog.waitFor({ timeout: 10_000 });
      return;
    } catch (err) {
      if (attempt === 3) throw err;
      await page.keyboard.press('Escape');
    }
  }
}

export async function pickFirst(wb: Workbench, hasText: RegExp | string): Promise<void> {
  await wb.page.locator('.quick-input-widget .monaco-list-row', { hasText }).first().click({ timeout: 30_000 });
}

/** Restore Database: after the dry run, Enter on "Replace the live database…?" keeps it, and says so. */
export async function restoreDatabaseKeepsOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const before = stackState();
  await page.keyboard.press('Escape');
  await clearNotifications(wb);
  await runCommandFromPalette(wb, 'Lifeboat: Restore Database…');
  await pickFirst(wb, /UTC/);
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Replace the live database' });
  await dialog.waitFor({ timeout: 180_000 });
  await readDialog(
    dialog,
    [/Replace the live database "sms_db" with this backup\?/, /Dry run passed/, /renamed, not dropped/, /"sms-web" will be stopped/],
    'the Restore Database modal',
  );
  await expectSafeFocus(dialog, 'Keep Live Database', 'the Restore Database modal');
  await screenshot(wb, 'restore-database-safe-focus');
  await enterOn(wb, dialog);
  await expectToast(
    wb,
    /Database restore cancelled/,
    [/^Database restore cancelled\. /, /The live database "sms_db" was not changed\.$/],
    'the cancelled restore',
  );
  await page.mouse.move(900, 600);
  await screenshot(wb, 'restore-database-cancelled');
  // The scratch copy of the dry run is dropped before the toast shows.
  expectUnchanged(before, stackState(), 'Enter on the Restore Database modal');
}

/**
 * Restore Database cancelled from its progress notification during the dry run: the scratch
 * database goes, the live one stays, and the toast says so. On a fast machine the dry run may
 * end first; then the modal's Cancel (Escape) is the cancel, and the log says which it was.
 */
export async function restoreDatabaseCancelsDuringDryRun(wb: Workbench): Promise<void> {
  const { page } = wb;
  const before = stackState();
  await clearNotifications(wb);
  await runCommandFromPalette(wb, 'Lifeboat: Restore Database…');
  await pickFirst(wb, /UTC/);
  const progress = page.locator('.notification-toast .notification-list-item', { hasText: /Restoring "sms_db" from "sms_backup_/ }).first();
  await progress.waitFor({ timeout: 30_000 });
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Replace the live database' });
  await page.mouse.move(900, 600);
  await page.waitForTimeout(700); // the toast slides in; the shot caught it half out of view
  await screenshot(wb, 'restore-database-progress');
  const cancel = progress.locator('a.monaco-button', { hasText: /^Cancel$/ });
  // The hover is part of the race too: once the modal is up it blocks the pointer.
  const how = await progress
    .hover({ timeout: 10_000 })
    .then(() => cancel.click({ timeout: 10_000 }))
    .then(() => 'from the progress notification')
    .catch(async (err: Error) => {
      if (!(await dialog.count())) throw err;
      await page.keyboard.press('Escape');
      return 'at the modal (the dry run ended before the click)';
    });
  console.log(`[ui] cancelled ${how}`);
  // The extension checks the cancel before it asks; a click in the last milliseconds before the
  // modal is sent can still meet it. Escape on it must then end the same way.
  const toast = page
    .locator('.notification-toast .notification-list-item-message')
    .filter({ hasText: /Database restore cancelled/ })
    .first();
  const first = await Promise.race([
    toast.waitFor({ timeout: 120_000 }).then(() => 'toast'),
    dialog.waitFor({ timeout: 120_000 }).then(() => 'modal'),
  ]);
  if (first === 'modal' && how.startsWith('from the progress')) {
    console.log('[ui] the modal opened as the cancel landed; Escape on it');
    await page.keyboard.press('Escape');
  }
  await expectToast(
    wb,
    /Database restore cancelled/,
    [/^Database restore cancelled\. /, /The live database "sms_db" was not changed\.$/],
    'the cancelled restore',
  );
  if (await dialog.count()) throw new Error('the restore asked to replace the database after it was cancelled');
  // The scratch database is dropped in the restore's finally, before the toast.
  expectUnchanged(before, stackState(), 'Cancelling a database restore');
}

/** Swap Back on the pre-restore copy: Enter on its modal leaves both databases as they are. */
export async function swapBackKeepsOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const before = stackState();
  await page.keyboard.press('Escape');
  await clearNotifications(wb);
  const row = page.locator('.part.sidebar .monaco-list-row', { hasText: PRE_RESTORE }).first();
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'the live database again?' });
  await modalFromMenu(wb, row, 'Swap Back', dialog);
  await readDialog(
    dialog,
    [/Make "sms_db_pre_restore_\d{8}_\d{6}" the live database again\?/, /renamed, not dropped/, /disconnect/],
    'the Swap Back modal',
  );
  await expectSafeFocus(dialog, 'Leave As Is', 'the Swap Back modal');
  await screenshot(wb, 'swap-back-safe-focus');
  await enterOn(wb, dialog);
  await expectToast(
    wb,
    /Swap back cancelled/,
    [/^Swap back cancelled\. /, /The live database "sms_db" was not changed; "sms_db_pre_restore_\d{8}_\d{6}" is kept\.$/],
    'the cancelled swap',
  );
  expectUnchanged(before, stackState(), 'Enter on the Swap Back modal');
}

/** Drop Database Copy: Enter on its modal keeps the copy (the next step drops it with the button). */
export async function dropKeepsOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const before = stackState();
  if (!before.databases.some((d) => PRE_RESTORE.test(d))) throw new Error(`no pre-restore copy to drop: ${before.databases.join(', ')}`);
  await page.keyboard.press('Escape');
  const row = page.locator('.part.sidebar .monaco-list-row', { hasText: PRE_RESTORE }).first();
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Drop the database' });
  await modalFromMenu(wb, row, 'Drop Database Copy…', dialog);
  await readDialog(
    dialog,
    [/Drop the database "sms_db_pre_restore_\d{8}_\d{6}"\?/, /deleted for good/, /"sms_db" is not affected/],
    'the Drop Database Copy modal',
  );
  await expectSafeFocus(dialog, 'Keep Database', 'the Drop Database Copy modal');
  await screenshot(wb, 'drop-copy-safe-focus');
  await enterOn(wb, dialog);
  await page.waitForTimeout(1000); // a drop, were it to happen, is quick
  expectUnchanged(before, stackState(), 'Enter on the Drop Database Copy modal');
  await row.waitFor({ timeout: 5_000 });
}

/**
 * Restore Config with a changed nginx.conf: Escape at the review, then Enter on the modal.
 * Each says the config restore was cancelled, and the workspace file stays as edited, with no
 * `.bak` beside it. The demo's nginx.conf is put back whatever happens.
 */
export async function configRestoreCancels(wb: Workbench): Promise<void> {
  const { page } = wb;
  const nginx = path.join(wb.workspace, 'docker', 'nginx.conf');
  const original = fs.readFileSync(nginx, 'utf8');
  const edited = original.replace('client_max_body_size', '# edited by hand\n    client_max_body_size');
  const baks = () => fs.readdirSync(path.dirname(nginx)).filter((n) => n.startsWith('nginx.conf.bak'));
  const unchanged = (what: string) => {
    if (fs.readFileSync(nginx, 'utf8') !== edited) throw new Error(`${what} changed nginx.conf`);
    if (baks().length) throw new Error(`${what} left ${baks().join(', ')}`);
  };
  const phrases = [/^Config restore cancelled\. /, new RegExp(`No file in "${path.basename(wb.workspace)}" was changed\\.$`)];
  const review = async () => {
    await runCommandFromPalette(wb, 'Lifeboat: Restore Config…');
    await pickFirst(wb, /UTC/);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'docker/nginx.conf' }).first().waitFor({ timeout: 30_000 });
  };
  try {
    fs.writeFileSync(nginx, edited);
    await page.keyboard.press('Escape');
    await clearNotifications(wb);
    await review();
    await page.keyboard.press('Escape');
    await expectToast(wb, /Config restore cancelled/, phrases, 'the config restore cancelled at its review');
    unchanged('Escape at the config review');

    await clearNotifications(wb);
    await review();
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box', { hasText: /Restore 1 config file/ });
    await dialog.waitFor({ timeout: 30_000 });
    await readDialog(
      dialog,
      [
        /Restore 1 config file/,
        /^The file is written from "config_\d{8}_\d{6}\.tar\.gz" into "[^"]+"\.$/m,
        /It replaces the workspace file, which is kept next to it as <name>\.bak\./,
      ],
      'the Restore Config modal',
    );
    await expectSafeFocus(dialog, 'Keep Workspace Files', 'the Restore Config modal');
    await screenshot(wb, 'restore-config-safe-focus');
    await enterOn(wb, dialog);
    await expectToast(wb, /Config restore cancelled/, phrases, 'the config restore cancelled at its modal');
    unchanged('Enter on the Restore Config modal');
  } finally {
    fs.writeFileSync(nginx, original);
    for (const name of baks()) fs.rmSync(path.join(path.dirname(nginx), name));
  }
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Decrypt Backup over an existing plaintext: Enter on "Replace …?" keeps the existing file. */
export async function decryptKeepsOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const dir = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'database');
  const encrypted = fs.readdirSync(dir).find((n) => n.endsWith('.sql.gz.age'));
  if (!encrypted) throw new Error(`no encrypted backup in ${dir}`);
  const plain = path.join(dir, encrypted.replace(/\.age$/, ''));
  const before = { sha: sha256(plain), mtime: fs.statSync(plain).mtimeMs };
  await page.keyboard.press('Escape');
  await runCommandFromPalette(wb, 'Lifeboat: Decrypt Backup…');
  await pickFirst(wb, encrypted);
  const dialog = page.locator('.monaco-dialog-box', { hasText: `Replace "${path.basename(plain)}"?` });
  await dialog.waitFor({ timeout: 30_000 });
  await readDialog(
    dialog,
    [new RegExp(`Replace "${path.basename(plain).replace(/\./g, '\\.')}"\\?`), /already exists/],
    'the Decrypt Backup modal',
  );
  await expectSafeFocus(dialog, 'Keep Existing', 'the Decrypt Backup modal');
  await screenshot(wb, 'decrypt-safe-focus');
  await enterOn(wb, dialog);
  // Enter ends the command before any passphrase is asked for.
  await page.waitForTimeout(1000);
  if (await page.locator('.quick-input-widget input[type="password"]').isVisible())
    throw new Error('Enter on the Decrypt Backup modal went on to ask for the passphrase');
  const after = { sha: sha256(plain), mtime: fs.statSync(plain).mtimeMs };
  if (after.sha !== before.sha || after.mtime !== before.mtime)
    throw new Error(`Enter on the Decrypt Backup modal replaced ${path.basename(plain)}`);
}

/**
 * Restore Volume Snapshot on a stand-in snapshot file (the modal comes before the file is
 * read): Enter on the modal, then Escape at the typed name, each says the volume restore was
 * cancelled, and sms-db keeps running on the same volume.
 */
export async function restoreVolumeCancels(wb: Workbench): Promise<void> {
  const { page } = wb;
  const volumes = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'volumes');
  fs.mkdirSync(volumes, { recursive: true });
  const stamp = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const snapshot = path.join(volumes, `volume_sms_postgres_data_${stamp}_040000.tar.gz`);
  fs.writeFileSync(snapshot, Buffer.alloc(1_000_000));
  const phrases = [/^Volume restore cancelled\. /, /The volume "sms_postgres_data" was not changed\.$/];
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Replace the volume' });
  const open = async () => {
    await runCommandFromPalette(wb, 'Lifeboat: Restore Volume Snapshot…');
    await pickFirst(wb, 'sms_postgres_data');
    await dialog.waitFor({ timeout: 30_000 });
  };
  try {
    const before = stackState();
    await page.keyboard.press('Escape');
    await clearNotifications(wb);
    await open();
    await readDialog(
      dialog,
      [/Replace the volume "sms_postgres_data"\?/, /kept aside/, /"sms-web" and "sms-db" stop for the swap/],
      'the Restore Volume modal',
    );
    await expectSafeFocus(dialog, 'Keep Volume', 'the Restore Volume modal');
    await screenshot(wb, 'restore-volume-safe-focus');
    await enterOn(wb, dialog);
    await expectToast(wb, /Volume restore cancelled/, phrases, 'the volume restore cancelled at its modal');
    await page.mouse.move(900, 600);
    await screenshot(wb, 'restore-volume-cancelled');
    expectUnchanged(before, stackState(), 'Enter on the Restore Volume modal');

    await clearNotifications(wb);
    await open();
    await dialog.locator('a.monaco-button', { hasText: 'Replace…' }).click();
    const typed = page.locator('.quick-input-widget', { hasText: 'sms_postgres_data' });
    await typed.locator('input').waitFor();
    // Under load the box shows before it has the keyboard (CI once sent the Escape elsewhere
    // and the box stayed open): focus it, and press again while it is still up.
    await typed.locator('input').focus();
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Escape');
      const closed = await typed
        .waitFor({ state: 'hidden', timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
      if (closed) break;
      if (attempt === 3) throw new Error('the typed-name box did not close on Escape');
      await typed.locator('input').focus();
    }
    await expectToast(wb, /Volume restore cancelled/, phrases, 'the volume restore cancelled at its typed name');
    expectUnchanged(before, stackState(), 'Escape at the typed volume name');
  } finally {
    fs.rmSync(snapshot, { force: true });
  }
}

/** Restart Stack: Enter on its modal restarts nothing. */
export async function restartKeepsOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const before = stackState();
  await page.keyboard.press('Escape');
  await runCommandFromPalette(wb, 'Lifeboat: Restart Stack…');
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Restart the' });
  await dialog.waitFor({ timeout: 30_000 });
  await readDialog(dialog, [/Restart the "sms" stack\?/, /unavailable for a few seconds/], 'the Restart Stack modal');
  await expectSafeFocus(dialog, "Don't Restart", 'the Restart Stack modal');
  await enterOn(wb, dialog);
  await page.waitForTimeout(2000); // a restart, were it to start, stops a container within this
  expectUnchanged(before, stackState(), 'Enter on the Restart Stack modal');
}

/** Snapshot Volume's "Stop sms-db for …?": Enter stops nothing and writes no snapshot. */
export async function snapshotStopsNothingOnEnter(wb: Workbench, press: () => Promise<void>): Promise<void> {
  const volumes = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'volumes');
  const files = () => (fs.existsSync(volumes) ? fs.readdirSync(volumes).sort().join(', ') : '');
  const before = { stack: stackState(), files: files() };
  await press();
  await wb.page.waitForTimeout(2000); // a snapshot, were it to start, stops sms-db within this
  expectUnchanged(before.stack, stackState(), 'Enter on the Snapshot Volume modal');
  if (files() !== before.files) throw new Error(`Enter on the Snapshot Volume modal wrote a snapshot: ${files()}`);
}

/**
 * Restore Database on a backup that failed verification (a cut-off copy of a good one, as a
 * full disk leaves it): Enter on "… failed verification. Restore it anyway?" restores nothing,
 * starts no dry run, and says the live database was not changed.
 */
export async function restoreFailedBackupKeepsOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const dir = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'database');
  const good = fs.readdirSync(dir).find((n) => /^sms_backup_\d{8}_\d{6}\.sql\.gz$/.test(n));
  if (!good) throw new Error(`no backup in ${dir} to cut short`);
  const stamp = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const cut = path.join(dir, `sms_backup_${stamp}_030000.sql.gz`);
  const bytes = fs.readFileSync(path.join(dir, good));
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  fs.copyFileSync(path.join(dir, `${good}.json`), `${cut}.json`);
  try {
    const before = stackState();
    await page.keyboard.press('Escape');
    await clearNotifications(wb);
    await runCommandFromPalette(wb, 'Lifeboat: Restore Database…');
    await pickFirst(wb, /failed verification/);
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'failed verification' });
    await dialog.waitFor({ timeout: 30_000 });
    await readDialog(
      dialog,
      [
        new RegExp(`^"${path.basename(cut).replace(/\./g, '\\.')}" failed verification\\. Restore it anyway\\?`),
        /Its last check found: the file is [\d.,]+ (bytes|KB|MB)\b.*, but its manifest recorded /,
        /newer backup that passed/,
      ],
      'the failed-backup modal',
    );
    await expectSafeFocus(dialog, "Don't Restore", 'the failed-backup modal');
    await screenshot(wb, 'restore-failed-backup-safe-focus');
    await enterOn(wb, dialog);
    await expectToast(
      wb,
      /Database restore cancelled/,
      [/^Database restore cancelled\. /, /The live database "sms_db" was not changed\.$/],
      'the restore of a failed backup cancelled at its modal',
    );
    if (await page.locator('.notification-toast', { hasText: /Restoring "sms_db"/ }).count())
      throw new Error('Enter on the failed-backup modal started the dry run');
    expectUnchanged(before, stackState(), 'Enter on the failed-backup modal');
  } finally {
    fs.rmSync(cut, { force: true });
    fs.rmSync(`${cut}.json`, { force: true });
  }
}

/**
 * Encrypt Backup with a weak passphrase ("abc"): Enter on "Use this weak passphrase?" asks for
 * another one instead of encrypting; Escape there ends the command with nothing written.
 */
export async function weakPassphraseAsksAgainOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const dir = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'database');
  const files = () => fs.readdirSync(dir).sort().join(', ');
  const original = fs.readdirSync(dir).find((n) => n.endsWith('.sql.gz'));
  if (!original) throw new Error(`no backup in ${dir} to encrypt`);
  const before = { files: files(), sha: sha256(path.join(dir, original)) };
  await page.keyboard.press('Escape');
  await runCommandFromPalette(wb, 'Lifeboat: Encrypt Backup…');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: original }).first().click({ timeout: 30_000 });
  const title = (t: string) =>
    page.locator('.quick-input-widget .quick-input-title', { hasText: new RegExp(`^${t.replace(/[()]/g, '\\$&')}$`) });
  for (const t of ['Lifeboat: passphrase', 'Lifeboat: passphrase (again)']) {
    await title(t).waitFor();
    await page.locator('.quick-input-widget input').pressSequentially('abc');
    await page.keyboard.press('Enter');
  }
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Use this weak passphrase?' });
  await dialog.waitFor({ timeout: 30_000 });
  await readDialog(dialog, [/^Use this weak passphrase\?/, /offline/], 'the weak-passphrase modal');
  await expectSafeFocus(dialog, 'Choose Another', 'the weak-passphrase modal');
  await screenshot(wb, 'weak-passphrase-safe-focus');
  await enterOn(wb, dialog);
  await title('Lifeboat: passphrase').waitFor({ timeout: 15_000 });
  await page.keyboard.press('Escape');
  await page.waitForTimeout(1000); // an encryption, were it to start, writes its file within this
  if (files() !== before.files) throw new Error(`Enter on the weak-passphrase modal wrote files: ${files()}`);
  if (sha256(path.join(dir, original)) !== before.sha) throw new Error(`Enter on the weak-passphrase modal changed ${original}`);
}
