// UI end to end: a real VS Code (code-server) in headless Chromium at 1440x900, the Lifeboat
// extension loaded from this repo (extensionDevelopmentPath, no vsix step), driven like a user.
//
//   npm run build && node scripts/build.mjs --tests && node out/test/extension/ui-flow.js
//
// Screenshots go to <repo>/test-results/screenshots/. Exits non-zero if a step fails (and
// screenshots the page as "failure").
//
// `npm run test:ui` installs the packaged .vsix (LIFEBOAT_UI_VSIX): that is what users get, and
// notification toasts only show outside the smoke-test driver's development mode.
//
// Environment: LIFEBOAT_TEST_WORKSPACE (folder to open; default <repo>/demo),
// LIFEBOAT_TEST_VERBOSE=1 (code-server log and browser console), LIFEBOAT_UI_VSIX=path (install
// this vsix instead of loading the extension from the repo), LIFEBOAT_TEST_TIMEOUT (s, default 1200),
// LIFEBOAT_UI_STEPS=regexp (only the steps whose names match; later steps may need earlier ones).
//
// To add a step, write an async function (wb: Workbench) => void and add it to STEPS
// (backupFromPalette below is an example).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { defaultWorkspace, launchBrowser, repoRoot, startCodeServer, workbenchUrl, type CodeServer } from './codeServer';
import {
  configRestoreCancels,
  decryptKeepsOnEnter,
  dropKeepsOnEnter,
  restartKeepsOnEnter,
  restoreDatabaseCancelsDuringDryRun,
  restoreDatabaseKeepsOnEnter,
  restoreFailedBackupKeepsOnEnter,
  restoreVolumeCancels,
  snapshotStopsNothingOnEnter,
  swapBackKeepsOnEnter,
  weakPassphraseAsksAgainOnEnter,
} from './safeChoiceSteps';
import { restoreFromOffsite } from './offsiteSteps';
import { restoreAllFromS3, s3Environment } from './s3OffsiteSteps';

export interface Workbench {
  page: Page;
  context: BrowserContext;
  server: CodeServer;
  workspace: string;
  screenshotsDir: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  workspace?: string;
  /** Load the extension from this folder (default: the repo). Ignored when vsix is set. */
  extensionDevelopmentPath?: string;
  /** Install this .vsix instead (no development mode). */
  vsix?: string;
  verbose?: boolean;
  /** Extra environment for code-server, and so for the extension host. */
  env?: NodeJS.ProcessEnv;
}

/** Starts code-server + Chromium and waits until the workbench (and our extension) is up. */
export async function openWorkbench(opts: OpenOptions = {}): Promise<Workbench> {
  const repo = repoRoot();
  const workspace = opts.workspace ?? defaultWorkspace();
  const verbose = opts.verbose ?? process.env.LIFEBOAT_TEST_VERBOSE === '1';
  const vsix = opts.vsix ?? process.env.LIFEBOAT_UI_VSIX;
  // Development mode needs the smoke-test driver flag; a vsix install does not.
  const server = await startCodeServer({ testMode: !vsix, vsix, verbose, env: opts.env });
  const browser = await launchBrowser({ width: 1440, height: 900 });
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  if (verbose) page.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
  // In development mode VS Code reports through these when present; keep them harmless.
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
    if (verbose) console.log(`[vscode ${type}]`, JSON.stringify(args).slice(0, 500));
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => console.log(`[vscode] exit ${code}`));
  const url = workbenchUrl(server.port, {
    folder: workspace,
    extensionDevelopmentPath: vsix ? undefined : (opts.extensionDevelopmentPath ?? repo),
  });
  const screenshotsDir = path.join(repo, 'test-results/screenshots');
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const wb: Workbench = {
    page,
    context: browser.context,
    server,
    workspace,
    screenshotsDir,
    close: async () => {
      await browser.close();
      await server.stop();
      if (process.env.LIFEBOAT_TEST_KEEP !== '1') fs.rmSync(server.stateDir, { recursive: true, force: true });
    },
  };
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
    // The activity bar item appears once the extension's contributions are registered.
    await activityBarItem(wb, 'Lifeboat').waitFor({ timeout: 60_000 });
  } catch (err) {
    await screenshot(wb, 'open-failure').catch(() => undefined);
    await wb.close();
    throw err;
  }
  return wb;
}

export function activityBarItem(wb: Workbench, title: string) {
  return wb.page
    .locator(`.part.activitybar .action-item a[aria-label^="${title}"], .part.activitybar .action-item[aria-label^="${title}"]`)
    .first();
}

/** Clicks an activity-bar item (e.g. "Lifeboat") unless its container is already shown. */
export async function openViewContainer(wb: Workbench, title: string): Promise<void> {
  const item = activityBarItem(wb, title);
  await item.waitFor();
  const checked = await wb.page
    .locator(
      `.part.activitybar .action-item.checked a[aria-label^="${title}"], .part.activitybar .action-item.checked[aria-label^="${title}"]`,
    )
    .count();
  if (!checked) await item.click();
  await wb.page.locator(`.part.sidebar .title-label h2`, { hasText: new RegExp(title, 'i') }).waitFor();
}

/** The view pane with this name (e.g. "Backups") in the side bar, once it is shown. */
export async function waitForView(wb: Workbench, name: string) {
  const header = wb.page.locator('.part.sidebar .pane-header', { hasText: new RegExp(`^\\s*${name}`, 'i') }).first();
  const single = wb.page.locator('.part.sidebar .title-label h2', { hasText: new RegExp(name, 'i') }).first();
  await Promise.any([header.waitFor(), single.waitFor()]);
  return wb.page
    .locator('.part.sidebar .pane')
    .filter({ has: wb.page.locator('.pane-body') })
    .first();
}

/** F1, type the command title (e.g. "Lifeboat: Back Up Database"), Enter. */
export async function runCommandFromPalette(wb: Workbench, title: string): Promise<void> {
  const { page } = wb;
  await page
    .locator('.monaco-workbench')
    .click({ position: { x: 720, y: 450 } })
    .catch(() => undefined);
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title.replace(/^.*?:\s*/, '') }).first();
  // A view redrawn after a settings change can take the palette's focus and close it under the
  // typing (seen once in CI: "element is inert", then hidden): open it again, as a user would.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('F1');
      await input.waitFor({ timeout: 10_000 });
      await input.fill(`>${title}`, { timeout: 10_000 });
      await row.waitFor({ timeout: 15_000 });
      break;
    } catch (err) {
      if (attempt === 3) throw err;
      console.log(`[ui] the palette closed before "${title}" could be chosen; opening it again`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  await page.keyboard.press('Enter');
  await page
    .locator('.quick-input-widget')
    .waitFor({ state: 'hidden' })
    .catch(() => undefined);
}

/** Texts of the notification toasts now on screen. */
/**
 * Runs a command from the palette and clicks the row of its picker that has `hasText`. Under load
 * or after a long flow the picker can close under the click (a late redraw takes the focus), or
 * its rows are still laying out: the command is run again, as a user would, up to three times.
 */
export async function pickFromPalette(wb: Workbench, title: string, hasText: RegExp | string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await wb.page.keyboard.press('Escape');
    await runCommandFromPalette(wb, title);
    try {
      await wb.page.locator('.quick-input-widget .monaco-list-row', { hasText }).first().click({ timeout: 15_000 });
      return;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

export async function readNotifications(wb: Workbench): Promise<string[]> {
  await wb.page.waitForTimeout(1000); // toasts fade in
  return (await wb.page.locator('.notification-toast .notification-list-item-message').allInnerTexts()).map((t) => t.trim());
}

/** Waits until a toast matching re is shown; returns its text. */
export async function waitForNotification(wb: Workbench, re: RegExp, timeoutMs = 60_000): Promise<string> {
  const toast = wb.page.locator('.notification-toast .notification-list-item-message', { hasText: re }).first();
  await toast.waitFor({ timeout: timeoutMs });
  await wb.page.waitForTimeout(1000);
  return (await toast.innerText()).trim();
}

/** Saves test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(wb: Workbench, name: string): Promise<string> {
  const file = path.join(wb.screenshotsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await wb.page.screenshot({ path: file });
  console.log(`[ui] screenshot ${path.relative(repoRoot(), file)}`);
  return file;
}

// ---- the flow ---------------------------------------------------------------------------

type Step = (wb: Workbench) => Promise<void>;

async function openLifeboatView(wb: Workbench): Promise<void> {
  await openViewContainer(wb, 'Lifeboat');
  await waitForView(wb, 'Backups');
  await wb.page.mouse.move(900, 600); // no hover tooltip on the activity bar in the shot
  await wb.page.waitForTimeout(1500); // let the tree / welcome content render
  await screenshot(wb, 'lifeboat-view');
  const notes = await readNotifications(wb);
  if (notes.length) console.log(`[ui] notifications: ${JSON.stringify(notes)}`);
}

/** The view with an empty backup folder: the "no backups yet" welcome and its button. */
async function welcomeShown(wb: Workbench): Promise<void> {
  const welcome = wb.page.locator('.part.sidebar .welcome-view-content', { hasText: 'No backups yet' });
  await welcome.waitFor({ timeout: 30_000 });
  await welcome.locator('a.monaco-button', { hasText: 'Back Up Database' }).waitFor();
}

async function backupFromPalette(wb: Workbench): Promise<void> {
  await runCommandFromPalette(wb, 'Lifeboat: Back Up Database');
  const text = await waitForNotification(wb, /Backup created and verified \(quick\): "sms_backup_\d{8}_\d{6}\.sql\.gz/);
  console.log(`[ui] notification: ${text}`);
  const row = wb.page.locator('.part.sidebar .monaco-list-row', { hasText: /(Today|Yesterday) \d{2}:\d{2}/ }).first();
  await row.waitFor({ timeout: 15_000 });
  const rowText = await row.innerText();
  if (!/just now/.test(rowText)) throw new Error(`the new item does not say "just now": ${rowText}`);
  await wb.page.mouse.move(900, 600);
  await screenshot(wb, 'backup-created');
  const database = wb.page.locator('.part.sidebar .monaco-list-row', { hasText: /^Database/ }).first();
  await database.waitFor();
  // The status bar says the newest backup's age the way the tree does.
  const status = wb.page.locator('.part.statusbar .statusbar-item', { hasText: /just now/ }).first();
  await status.waitFor({ timeout: 10_000 });
}

async function tooltipOnHover(wb: Workbench): Promise<void> {
  const row = wb.page.locator('.part.sidebar .monaco-list-row', { hasText: /just now/ }).first();
  const hover = wb.page.locator('.monaco-hover, .workbench-hover', { hasText: 'sms_db' }).first();
  // A hover shows after a delay and is lost if the tree re-renders meanwhile: try a few times.
  for (let attempt = 1; ; attempt++) {
    await wb.page.mouse.move(900, 600);
    await wb.page.waitForTimeout(300);
    await row.hover();
    try {
      await hover.waitFor({ timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
  await screenshot(wb, 'backup-tooltip');
}

/** The whole Scenario 1 through the UI: pick, dry run, modal, typed name, swap. */
async function restoreFromPalette(wb: Workbench): Promise<void> {
  const { page } = wb;
  await runCommandFromPalette(wb, 'Lifeboat: Restore Database…');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: /UTC/ }).first().waitFor();
  await page.mouse.move(900, 600);
  await screenshot(wb, 'restore-pick');
  await page.keyboard.press('Enter');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 120_000 });
  const text = await dialog.innerText();
  if (!/Replace the live database "sms_db"/.test(text) || !/Dry run passed/.test(text)) throw new Error(`unexpected dialog: ${text}`);
  await screenshot(wb, 'restore-confirm');
  await dialog.locator('a.monaco-button', { hasText: 'Replace…' }).click();
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.pressSequentially('sms_d');
  await page.locator('.quick-input-widget', { hasText: 'Type "sms_db" exactly' }).waitFor();
  await screenshot(wb, 'restore-type-name');
  await input.pressSequentially('b');
  await page.keyboard.press('Enter');
  const done = await waitForNotification(wb, /Restored "sms_db" from/, 120_000);
  console.log(`[ui] notification: ${done}`);
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Database copies' }).waitFor({ timeout: 30_000 });
  await page.mouse.move(900, 600);
  await screenshot(wb, 'restore-done');
}

/** Right-click the pre-restore copy, "Drop Database Copy…", confirm: the demo is left clean. */
export async function dropPreRestoreCopy(wb: Workbench): Promise<void> {
  const { page } = wb;
  const row = page.locator('.part.sidebar .monaco-list-row', { hasText: /sms_db_pre_restore_\d{8}_\d{6}/ }).first();
  await row.click({ button: 'right' });
  const item = page.locator('.context-view .action-item', { hasText: 'Drop Database Copy…' }).first();
  await item.waitFor();
  await screenshot(wb, 'pre-restore-menu');
  await item.click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor();
  await dialog.locator('a.monaco-button', { hasText: /^Drop$/ }).click();
  await waitForNotification(wb, /Dropped "sms_db_pre_restore_/);
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Database copies' }).waitFor({ state: 'detached', timeout: 30_000 });
}

/**
 * Scenario 3 with its review: archive the config, change a file, then restore it after a look
 * at the diff. The demo's nginx.conf is put back whatever happens.
 */
async function configRoundTrip(wb: Workbench): Promise<void> {
  const { page } = wb;
  const nginx = path.join(wb.workspace, 'docker', 'nginx.conf');
  const original = fs.readFileSync(nginx, 'utf8');
  try {
    await runCommandFromPalette(wb, 'Lifeboat: Archive Config');
    await waitForNotification(wb, /Config archived and verified: "config_\d{8}_\d{6}\.tar\.gz/);
    fs.writeFileSync(nginx, original.replace('client_max_body_size', '# edited by hand\n    client_max_body_size'));
    await runCommandFromPalette(wb, 'Lifeboat: Restore Config…');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: /UTC/ }).first().waitFor();
    await page.keyboard.press('Enter');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'docker/nginx.conf' }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.hover();
    await row.locator('.action-label.codicon-diff').click();
    await page.locator('.monaco-diff-editor .view-line', { hasText: 'client_max_body_size' }).first().waitFor({ timeout: 15_000 });
    await page.waitForTimeout(1500);
    await screenshot(wb, 'config-review');
    await page.locator('.quick-input-widget input').focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    await dialog.locator('a.monaco-button', { hasText: /^Restore$/ }).click();
    await waitForNotification(wb, /Restored 1 config file/);
    if (fs.readFileSync(nginx, 'utf8') !== original) throw new Error('nginx.conf was not restored');
    if (!fs.existsSync(`${nginx}.bak`)) throw new Error('no nginx.conf.bak kept');
  } finally {
    fs.writeFileSync(nginx, original);
    for (const name of fs.readdirSync(path.dirname(nginx))) {
      if (name.startsWith('nginx.conf.bak')) fs.rmSync(path.join(path.dirname(nginx), name));
    }
  }
}

/** The tree's label for the old backups cleanupPreview writes (the year shows only in another year). */
const SEPTEMBER_1 = /(^|\s)1 Sep( 2026)? 02:00/;

/**
 * The runbook's "Storage full" without `find -delete`: old backups appear, the cleanup preview
 * says file by file what goes and why, a modal asks, and the view header follows.
 */
async function cleanupPreview(wb: Workbench): Promise<void> {
  const { page } = wb;
  const dir = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'database');
  for (let day = 1; day <= 5; day++) fs.writeFileSync(path.join(dir, `sms_backup_2026090${day}_020000.sql.gz`), 'an old backup');
  await page.locator('.part.sidebar .monaco-list-row', { hasText: SEPTEMBER_1 }).first().waitFor({ timeout: 30_000 });
  await runCommandFromPalette(wb, 'Lifeboat: Preview Cleanup…');
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Delete 5 old backups?' });
  await dialog.waitFor({ timeout: 30_000 });
  // Enter out of habit keeps them all: the preview opens beside the modal without taking the
  // keyboard focus from its buttons, so the focused one must be "Keep All".
  await page.locator('.tabs-container .tab', { hasText: 'Cleanup preview.md' }).waitFor({ timeout: 30_000 });
  const detail = await dialog.locator('.dialog-message-detail').innerText();
  if (!/^Frees 65 B\. (1 backup stays|\d+ backups stay), including the newest verified one/.test(detail))
    throw new Error(`the cleanup modal says ${JSON.stringify(detail)}`);
  const focused = await focusedButton(dialog);
  console.log(
    `[ui] cleanup modal: buttons ${JSON.stringify(await dialog.locator('a.monaco-button').allInnerTexts())}, focused ${JSON.stringify(focused)}`,
  );
  if (focused !== 'Keep All') throw new Error(`the focused button is ${JSON.stringify(focused)}, not "Keep All"`);
  await page.waitForTimeout(1500); // the preview renders meanwhile; it must not take the focus then either
  const still = await focusedButton(dialog);
  if (still !== 'Keep All') throw new Error(`once the preview rendered, the focused button is ${JSON.stringify(still)}, not "Keep All"`);
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  const kept = fs.readdirSync(dir).filter((n) => n.startsWith('sms_backup_202609'));
  if (kept.length !== 5) throw new Error(`Enter on the cleanup modal deleted old backups: ${kept.length} of 5 left`);
  await page.keyboard.press('Escape');
  await runCommandFromPalette(wb, 'Lifeboat: Preview Cleanup…');
  await dialog.waitFor({ timeout: 30_000 });
  // The preview opens beside the modal; give it a moment to render.
  await page.locator('.tabs-container .tab', { hasText: 'Cleanup preview.md' }).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(2000);
  await screenshot(wb, 'cleanup-preview');
  await dialog.locator('a.monaco-button', { hasText: 'Delete 5 Backups' }).click();
  await waitForNotification(wb, /Deleted 5 backups, freed/);
  await page.locator('.part.sidebar .monaco-list-row', { hasText: SEPTEMBER_1 }).first().waitFor({ state: 'detached', timeout: 30_000 });
  const left = fs.readdirSync(dir).filter((n) => n.endsWith('.sql.gz'));
  if (left.length !== 1) throw new Error(`expected only the new backup to be left, found ${left.join(', ')}`);
}

/** The runbook's status report, as a preview; the view header carries the totals. */
async function statusReport(wb: Workbench): Promise<void> {
  const { page } = wb;
  await page.keyboard.press('Escape');
  await runCommandFromPalette(wb, 'Lifeboat: Show Backup Status');
  await page.locator('.tabs-container .tab', { hasText: 'Backup status.md' }).waitFor({ timeout: 30_000 });
  await page
    .locator('.part.sidebar', { hasText: /\d+ backups? · [\d.]+ \w?B · [\d.]+ \w?B free/ })
    .first()
    .waitFor({ timeout: 15_000 });
  await page.mouse.move(900, 600);
  await page.waitForTimeout(3000);
  await screenshot(wb, 'status-report');
}

/**
 * Encrypt Backup ends with "Delete the unencrypted …? This cannot be undone". A user who
 * presses Enter out of habit must keep the original: the safe button has the focus.
 */
async function encryptKeepsOriginalOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const dir = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'database');
  const original = fs.readdirSync(dir).find((n) => n.endsWith('.sql.gz'));
  if (!original) throw new Error(`no backup in ${dir} to encrypt`);
  await page.keyboard.press('Escape');
  await runCommandFromPalette(wb, 'Lifeboat: Encrypt Backup…');
  // Not Enter: the newest backup (a config archive, in the whole flow) comes first.
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: original }).first().click({ timeout: 30_000 });
  for (const title of ['Lifeboat: passphrase', 'Lifeboat: passphrase (again)']) {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: new RegExp(`^${title.replace(/[()]/g, '\\$&')}$`) }).waitFor();
    await page.locator('.quick-input-widget input').pressSequentially('ui flow: correct horse battery staple');
    await page.keyboard.press('Enter');
  }
  // "Remember this passphrase?": Enter takes whatever is offered first.
  await page.locator('.quick-input-widget input[placeholder="Remember this passphrase?"]').waitFor({ timeout: 60_000 });
  await screenshot(wb, 'encrypt-remember-pick');
  await page.keyboard.press('Enter');
  const dialog = page.locator('.monaco-dialog-box', { hasText: `Delete the unencrypted "${original}"?` });
  await dialog.waitFor({ timeout: 60_000 });
  const focused = await focusedButton(dialog);
  console.log(
    `[ui] buttons: ${JSON.stringify(await dialog.locator('a.monaco-button').allInnerTexts())}, focused: ${JSON.stringify(focused)}`,
  );
  await screenshot(wb, 'encrypt-delete-modal');
  if (focused !== 'Keep Unencrypted') throw new Error(`the focused button is ${JSON.stringify(focused)}, not "Keep Unencrypted"`);
  await page.keyboard.press('Enter');
  const done = await waitForNotification(wb, new RegExp(`Encrypted "${original.replace(/\./g, '\\.')}" to`));
  console.log(`[ui] notification: ${done}`);
  if (!fs.existsSync(path.join(dir, original))) throw new Error(`Enter on the modal deleted ${original}`);
  if (/deleted/.test(done)) throw new Error(`the notification says the original was deleted: ${done}`);
  if (!fs.existsSync(path.join(dir, `${original}.age`))) throw new Error('no encrypted copy was written');
}

/**
 * Where a row of the Backups tree is cut at the side bar's edge, read in the page: the size
 * must show on every backup row, and a database row fits whole (time, size, age). An overflowing
 * row ends in an ellipsis over its last few pixels, hence the margin then.
 */
async function cutRows(wb: Workbench): Promise<{ rows: string[]; problems: string[] }> {
  return wb.page.locator('.part.sidebar .monaco-list-row[aria-level="2"]').evaluateAll((elements) => {
    const rows: string[] = [];
    const problems: string[] = [];
    for (const row of elements) {
      const box = row.querySelector('.monaco-icon-label-container');
      const name = row.querySelector('.label-name');
      const description = row.querySelector('.label-description');
      const text = description?.textContent ?? '';
      const size = /[\d.]+ [KMGT]?B\b/.exec(text);
      // The text may sit in a highlight span: the first text node holds the size.
      const textNode = description && row.ownerDocument.createTreeWalker(description, 4 /* NodeFilter.SHOW_TEXT */).nextNode();
      if (!box || !name || !textNode || !size) continue; // not a backup (a database copy, a notice)
      const label = `${name.textContent} | ${text}`;
      rows.push(label);
      const overflows = box.scrollWidth > box.clientWidth;
      const edge = box.getBoundingClientRect().right - (overflows ? 16 : 0);
      const range = row.ownerDocument.createRange();
      range.setStart(textNode, 0);
      range.setEnd(textNode, Math.min(size.index + size[0].length, textNode.textContent?.length ?? 0));
      if (name.getBoundingClientRect().right > edge) problems.push(`the time is cut: ${label}`);
      else if (range.getBoundingClientRect().right > edge) problems.push(`the size is cut: ${label}`);
      else if (overflows && !/\bsms_|encrypted/.test(label))
        problems.push(`the row does not fit (${box.scrollWidth} > ${box.clientWidth} px): ${label}`);
    }
    return { rows, problems };
  });
}

/**
 * Issue 14.8 at the side bar's default width: rows lead with their time and size, a volume
 * snapshot's time is not pushed out by its volume's name, and an encrypted copy sits under its
 * original. The snapshot is a stand-in file (a name the catalog lists), removed afterwards.
 */
async function treeFitsDefaultWidth(wb: Workbench): Promise<void> {
  const { page } = wb;
  const volumes = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'volumes');
  fs.mkdirSync(volumes, { recursive: true });
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const snapshot = path.join(volumes, `volume_sms_postgres_data_${yesterday}_030000.tar.gz`);
  fs.writeFileSync(snapshot, Buffer.alloc(5_400_000));
  try {
    await page.keyboard.press('Escape');
    await openViewContainer(wb, 'Lifeboat');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'sms_postgres_data' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.part.sidebar .monaco-list-row', { hasText: '↳ encrypted (age)' }).first().waitFor({ timeout: 30_000 });
    await page.mouse.move(900, 600);
    await page.waitForTimeout(1000);
    const width = await page.locator('.part.sidebar').evaluate((e) => e.getBoundingClientRect().width);
    const { rows, problems } = await cutRows(wb);
    console.log(`[ui] side bar ${width} px; rows: ${JSON.stringify(rows)}`);
    await screenshot(wb, 'tree-default-width');
    if (!rows.some((r) => /^Yesterday 03:00 \| 5\.1 MB · sms_postgres_data/.test(r)))
      throw new Error(`no volume row with its time first: ${JSON.stringify(rows)}`);
    const copy = rows.findIndex((r) => r.startsWith('↳ encrypted (age)'));
    if (copy < 1 || !/^(Today|Yesterday) /.test(rows[copy - 1]))
      throw new Error(`the encrypted copy is not under its original: ${JSON.stringify(rows)}`);
    if (problems.length) throw new Error(problems.join('\n'));
  } finally {
    fs.rmSync(snapshot, { force: true });
  }
}

/**
 * Issue 14.3 as a user meets it: a double-click on the Database group's Back Up Database button
 * is one backup, and the second click says it joined the first in an information message, not an
 * error. (Two palette runs do not overlap here: the demo's backup is done before a second run.)
 */
async function backupTwiceJoins(wb: Workbench): Promise<void> {
  const { page } = wb;
  const dir = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'database');
  const dumps = () => fs.readdirSync(dir).filter((n) => n.endsWith('.sql.gz'));
  const before = dumps();
  await page.keyboard.press('Escape');
  const group = page.locator('.part.sidebar .monaco-list-row', { hasText: /^Database/ }).first();
  await group.hover();
  await group.locator('.actions .action-label[aria-label^="Back Up Database"]').dblclick();
  const joined = await waitForNotification(wb, /already running/, 30_000);
  console.log(`[ui] second run: ${joined}`);
  if (!/^A backup of "sms" is already running \(started [\d.]+ s ago\)\. Its result is shown when it ends\.$/.test(joined))
    throw new Error(`unexpected wording: ${joined}`);
  const item = page.locator('.notification-toast .notification-list-item', { hasText: /already running/ }).first();
  if (!(await item.locator('.codicon-info, .codicon-notifications-info').count()))
    throw new Error('the "already running" message is not an information message');
  await page.mouse.move(900, 600);
  await screenshot(wb, 'backup-twice-joined');
  await waitForNotification(wb, /Backup created and verified/, 120_000);
  const errors = await page
    .locator('.notification-toast .notification-list-item', { has: page.locator('.codicon-error, .codicon-notifications-error') })
    .allInnerTexts();
  if (errors.length) throw new Error(`an error was shown: ${errors.join(' / ')}`);
  const made = dumps().filter((n) => !before.includes(n));
  if (made.length !== 1) throw new Error(`expected one new backup, found ${made.length}: ${made.join(', ')}`);
}

/**
 * Delete Backup from the tree's context menu: Enter on its modal keeps the file (the focused
 * button is the safe one), then the Delete button does delete it. This removes the backup the
 * step before made, so the later steps see the folder as before.
 */
async function deleteKeepsOnEnter(wb: Workbench): Promise<void> {
  const { page } = wb;
  const dir = path.join(process.env.LIFEBOAT_UI_BACKUPS!, 'database');
  const newest = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.sql.gz'))
    .sort()
    .at(-1)!;
  await page.keyboard.press('Escape');
  const openModal = async () => {
    const dialog = page.locator('.monaco-dialog-box', { hasText: `Delete "${newest}"?` });
    // A click on a menu that has just opened can be lost (as can the menu, when the tree redraws): try again.
    for (let attempt = 1; ; attempt++) {
      // The Database group's first row is its newest backup.
      const row = page.locator('.part.sidebar .monaco-list-row[aria-level="2"]').first();
      await row.click({ button: 'right' });
      const item = page.locator('.context-view .action-item', { hasText: 'Delete Backup…' }).first();
      await item.waitFor();
      await page.waitForTimeout(300);
      await item.click();
      try {
        await dialog.waitFor({ timeout: 5_000 });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        await page.keyboard.press('Escape');
      }
    }
    await page.waitForTimeout(500);
    return dialog;
  };
  let dialog = await openModal();
  const focused = (await dialog.locator('a.monaco-button:focus').allInnerTexts()).join(', ');
  console.log(`[ui] dialog: ${JSON.stringify(await dialog.innerText())}, focused: ${JSON.stringify(focused)}`);
  await screenshot(wb, 'delete-backup-modal');
  if (focused !== 'Keep Backup') throw new Error(`the focused button is ${JSON.stringify(focused)}, not "Keep Backup"`);
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  await page.waitForTimeout(1000);
  if (!fs.existsSync(path.join(dir, newest))) throw new Error(`Enter on the Delete Backup modal deleted ${newest}`);

  dialog = await openModal();
  await dialog.locator('a.monaco-button', { hasText: /^Delete$/ }).click();
  await dialog.waitFor({ state: 'detached' });
  for (let i = 0; i < 20 && fs.existsSync(path.join(dir, newest)); i++) await page.waitForTimeout(250);
  if (fs.existsSync(path.join(dir, newest))) throw new Error(`the Delete button left ${newest}`);
}

/**
 * Snapshot Volume on the database's volume asks before stopping sms-db, and "Not Now" (the
 * focused default) leaves it running.
 */
async function snapshotAsksFirst(wb: Workbench): Promise<void> {
  const { page } = wb;
  await pickFromPalette(wb, 'Lifeboat: Snapshot Volume…', 'sms_postgres_data');
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Stop "sms-db" for' });
  await dialog.waitFor({ timeout: 30_000 });
  const buttons = await dialog.locator('a.monaco-button').allInnerTexts();
  // The dialog focuses its default a moment after it shows, later on a busy machine (CI once read "" at 500 ms).
  const focused = await focusedButton(dialog);
  console.log(`[ui] dialog: ${JSON.stringify(await dialog.innerText())}, focused: ${JSON.stringify(focused)}`);
  await screenshot(wb, 'snapshot-asks-first');
  if (!buttons.includes('Copy Live (no downtime)')) throw new Error(`no live copy offered: ${buttons.join(', ')}`);
  if (focused !== 'Not Now') throw new Error(`the focused button is ${JSON.stringify(focused)}, not "Not Now"`);
  await snapshotStopsNothingOnEnter(wb, async () => {
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
  });
}

/** Verify on a database backup asks how thoroughly first. */
async function verifyAsksDepth(wb: Workbench): Promise<void> {
  const { page } = wb;
  await pickFromPalette(wb, 'Lifeboat: Verify Backup…', /sms_backup_\d{8}_\d{6}\.sql\.gz(?!\.)/);
  await page
    .locator('.quick-input-widget .monaco-list-row', { hasText: 'Verify (full test restore)' })
    .first()
    .waitFor({ timeout: 30_000 });
  await page.mouse.move(900, 600);
  await screenshot(wb, 'verify-depth-pick');
  await page.keyboard.press('Enter');
  const done = await waitForNotification(wb, /passed quick verification/);
  console.log(`[ui] notification: ${done}`);
}

/**
 * The text of the dialog button that has the keyboard focus. A dialog focuses its default
 * button a moment after it appears, later on a busy machine: wait for some button to have it.
 */
export async function focusedButton(dialog: ReturnType<Page['locator']>): Promise<string> {
  for (let waited = 0; ; waited += 100) {
    const focused = (await dialog.locator('a.monaco-button:focus').allInnerTexts()).join(', ');
    if (focused || waited >= 10_000) return focused;
    await dialog.page().waitForTimeout(100);
  }
}

/** A disaster-recovery walkthrough on the Welcome page, opened from the palette. */
async function walkthrough(wb: Workbench): Promise<void> {
  const { page } = wb;
  // Not runCommandFromPalette: "Developer: Reset Welcome Page Walkthrough Progress" ranks first for these words.
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').fill('>Welcome: Open Walkthrough');
  await page
    .locator('.quick-input-widget .monaco-list-row', { hasText: /^Welcome: Open Walkthrough/ })
    .first()
    .click();
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Recover from database corruption' }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
  await page
    .locator('.gettingStartedContainer', { hasText: 'Find a backup from before the corruption' })
    .first()
    .waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
  await screenshot(wb, 'walkthrough-corruption');
}

/**
 * An engine that cannot be reached (lifeboat.docker.host set to a missing socket in the user
 * settings, as a user would): the view names the engine and where the choice came from. The
 * setting is removed again and the view must come back.
 */
async function engineDown(wb: Workbench): Promise<void> {
  const { page } = wb;
  // A machine-overridable setting: in a remote window (code-server is one) VS Code reads it from
  // the remote machine's settings, not the user's.
  const dir = path.join(wb.server.stateDir, 'user-data', 'Machine');
  const file = path.join(dir, 'settings.json');
  const original = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const missing = 'unix:///run/lifeboat-demo/no-such-docker.sock';
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, `{\n  "lifeboat.docker.host": ${JSON.stringify(missing)}\n}\n`);
    await openViewContainer(wb, 'Lifeboat');
    await page.waitForTimeout(1500); // VS Code reads the changed settings file
    await runCommandFromPalette(wb, 'Lifeboat: Refresh Backups');
    const message = page
      .locator('.part.sidebar', { hasText: `Cannot reach the Docker engine at ${missing} (from the setting lifeboat.docker.host)` })
      .first();
    await message.waitFor({ timeout: 30_000 });
    // An empty view offers the ways out as items; a view with backups keeps them, with a notice on top.
    await page
      .locator('.part.sidebar .monaco-list-row', { hasText: /Choose the Docker Engine|Docker engine not reachable/ })
      .first()
      .waitFor({ timeout: 45_000 });
    await page.mouse.move(900, 600);
    await page.waitForTimeout(1000);
    await screenshot(wb, 'engine-unreachable');
  } finally {
    // Rewritten rather than deleted: VS Code's watcher reliably reports a change, not always a deletion.
    fs.writeFileSync(file, original ?? '{}\n');
  }
  // The restored setting is picked up by itself; the view's own Refresh button is the user's fallback.
  const gone = page.locator('.part.sidebar', { hasText: 'Cannot reach the Docker engine' }).first();
  for (let attempt = 1; ; attempt++) {
    try {
      await gone.waitFor({ state: 'detached', timeout: 10_000 });
      break;
    } catch (err) {
      if (attempt === 4) throw err;
      // A busy machine can miss the file change: write it again, then use the view's Refresh.
      fs.writeFileSync(file, original ?? '{}\n');
      await page.waitForTimeout(1000);
      await page.locator('.part.sidebar .actions-container a[aria-label^="Refresh Backups"]').first().click();
    }
  }
}

export const STEPS: [string, Step][] = [
  ['open the Lifeboat view', openLifeboatView],
  ['the empty view invites a first backup', welcomeShown],
  ['back up from the palette and see it in the tree', backupFromPalette],
  ['the item tooltip shows its manifest', tooltipOnHover],
  ['Enter on the Restore Database modal keeps the live database and says so', restoreDatabaseKeepsOnEnter],
  ['cancel a database restore during its dry run', restoreDatabaseCancelsDuringDryRun],
  ['Enter on the failed-backup modal of Restore Database restores nothing', restoreFailedBackupKeepsOnEnter],
  ['restore from the palette with a typed confirmation', restoreFromPalette],
  ['Enter on the Swap Back modal leaves both databases', swapBackKeepsOnEnter],
  ['Enter on the Drop Database Copy modal keeps the copy', dropKeepsOnEnter],
  ['drop the pre-restore copy from its context menu', dropPreRestoreCopy],
  ['archive the config, then restore a changed file after a diff', configRoundTrip],
  ['cancel a config restore at its review and at its modal', configRestoreCancels],
  ['preview a cleanup and delete old backups after a modal', cleanupPreview],
  ['show the backup status report', statusReport],
  ['Enter on the weak-passphrase modal of Encrypt Backup asks for another', weakPassphraseAsksAgainOnEnter],
  ['Enter on the encrypt modal keeps the unencrypted original', encryptKeepsOriginalOnEnter],
  ['Enter on the decrypt modal keeps the existing plaintext', decryptKeepsOnEnter],
  ['the tree shows time and size first at the default side bar width', treeFitsDefaultWidth],
  ['a second Back Up Database joins the running one', backupTwiceJoins],
  ['Enter on the Delete Backup modal keeps the file', deleteKeepsOnEnter],
  ['Snapshot Volume asks before stopping the database', snapshotAsksFirst],
  ['cancel a volume restore at its modal and at its typed name', restoreVolumeCancels],
  ['Enter on the Restart Stack modal restarts nothing', restartKeepsOnEnter],
  ['Verify asks quick or full', verifyAsksDepth],
  ['open a disaster-recovery walkthrough', walkthrough],
  ['an unreachable engine is named with how it was chosen', engineDown],
  ['restore from an off-site copy after the backup folder is lost', restoreFromOffsite],
  ['restore a database, a volume and the config from S3 after the backup folder is lost', restoreAllFromS3],
];

async function main(): Promise<number> {
  const started = Date.now();
  // The S3 restores (a volume swap among them) add about 3 minutes to the whole flow.
  const timeoutS = Number(process.env.LIFEBOAT_TEST_TIMEOUT ?? 1200);
  const timer = setTimeout(() => {
    console.error(`[ui] timed out after ${timeoutS} s`);
    process.exit(1);
  }, timeoutS * 1000);
  // A fresh backup folder, so the flow starts from the "no backups yet" welcome.
  const backups = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ui-'));
  process.env.LIFEBOAT_UI_BACKUPS = backups;
  process.env.LIFEBOAT_VSCODE_SETTINGS = `"lifeboat.backupDirectory": ${JSON.stringify(backups)}`;
  const wb = await openWorkbench({ env: s3Environment() });
  console.log(`[ui] workbench up in ${((Date.now() - started) / 1000).toFixed(1)} s (${wb.server.url})`);
  let failed = 0;
  try {
    // LIFEBOAT_UI_STEPS (a regular expression) runs only the steps whose names match, for a quick look at one.
    const only = process.env.LIFEBOAT_UI_STEPS ? new RegExp(process.env.LIFEBOAT_UI_STEPS, 'i') : undefined;
    for (const [name, step] of STEPS) {
      if (only && !only.test(name)) continue;
      const t = Date.now();
      try {
        await step(wb);
        console.log(`[ui] ok   ${name} (${Date.now() - t} ms)`);
      } catch (err) {
        failed++;
        console.error(`[ui] FAIL ${name}: ${(err as Error).stack ?? err}`);
        await screenshot(wb, `failure-${name}`).catch(() => undefined);
        break;
      }
    }
  } finally {
    await wb.close();
    clearTimeout(timer);
  }
  console.log(`[ui] ${failed ? 'failed' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error('[ui]', err);
      process.exit(1);
    },
  );
}
