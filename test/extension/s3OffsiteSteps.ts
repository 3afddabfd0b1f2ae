// Issue 10's "Done when" through the UI: a database backup, a volume snapshot and a config archive
// copied to S3 (moto_server on 127.0.0.1, speaking the S3 API with SigV4), the local backup folder
// then lost, and each of the three restored from the Off-site group: the database through its
// dry run, modal and typed name, the volume through its modal and typed name, the config through
// its review. Marker tables written to the live database after the copies prove that each swap
// happened. ui-flow.ts lists it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Locator } from 'playwright-core';
import { OPEN_KEYS, motoServerPath, startMotoS3, type S3TestServer } from '../support/s3Server';
import { machineSettings } from './machineSettings';
import { clearNotifications } from './safeChoiceSteps';
import { stackState } from './stackState';
import { dropPreRestoreCopy, pickFromPalette, runCommandFromPalette, screenshot, waitForNotification, type Workbench } from './ui-flow';

const BUCKET = 'lifeboat-ui';
const MARKER = 'lifeboat_ui_s3_marker';

/**
 * The keys of moto's open server, for the workbench's environment: VS Code starts before any step,
 * and the extension finds S3 keys the way AWS users keep them, through the credential chain.
 */
export function s3Environment(): NodeJS.ProcessEnv {
  return { AWS_ACCESS_KEY_ID: OPEN_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: OPEN_KEYS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' };
}

function psql(sql: string): string {
  return execFileSync('docker', ['exec', 'sms-db', 'psql', '-U', 'sms_user', '-d', 'sms_db', '-Atc', sql], {
    encoding: 'utf8',
    timeout: 60_000,
  }).trim();
}

const hasMarker = () => psql(`SELECT to_regclass('public.${MARKER}') IS NOT NULL`) === 't';

/** The newest file of `dir` whose name matches `re`. */
function newest(dir: string, re: RegExp): string {
  const name = fs
    .readdirSync(dir)
    .filter((n) => re.test(n))
    .sort()
    .at(-1);
  if (!name) throw new Error(`no file like ${re} in ${dir}: ${fs.readdirSync(dir).join(', ')}`);
  return name;
}

const exactly = (name: string) => new RegExp(`${name.replace(/\./g, '\\.')}(?!\\.)`);

/**
 * Right-click an Off-site row and choose Restore from Off-site…, once: the download (and for a
 * database, the dry run) runs before `target` shows, so a second click would start a second
 * restore. The menu is opened again only when no progress and no target followed the click.
 */
async function restoreFromRow(wb: Workbench, row: Locator, target: Locator, timeoutMs: number): Promise<void> {
  const { page } = wb;
  const progress = page.locator('.notification-toast .notification-list-item-message', { hasText: /^Lifeboat: / }).first();
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    const action = page.locator('.context-view .action-item', { hasText: 'Restore from Off-site…' }).first();
    await action.waitFor();
    await page.waitForTimeout(300);
    await action.click();
    const started = await Promise.any([target.waitFor({ timeout: 15_000 }), progress.waitFor({ timeout: 15_000 })]).then(
      () => true,
      () => false,
    );
    if (started) break;
    if (attempt === 3) throw new Error('Restore from Off-site… did not start after three clicks on its menu item');
    await page.keyboard.press('Escape');
  }
  await target.waitFor({ timeout: timeoutMs });
}

/** The Off-site row of this kind (by its icon) that says `state` ("off-site only", "local + off-site"). */
function offsiteRow(wb: Workbench, icon: string, state: RegExp): Locator {
  return wb.page
    .locator('.part.sidebar .monaco-list-row', { hasText: state })
    .filter({ has: wb.page.locator(`.codicon-${icon}`) })
    .first();
}

export async function restoreAllFromS3(wb: Workbench): Promise<void> {
  const { page } = wb;
  if (!motoServerPath()) {
    // moto comes with the machine image's Python: a CI machine without it must not pass this step.
    if (process.env.CI) throw new Error('moto_server is not installed, so the S3 restore cannot run (CI=true).');
    console.log('[ui] moto_server is not installed: the S3 restore step is skipped');
    return;
  }
  const backups = process.env.LIFEBOAT_UI_BACKUPS!;
  const before = stackState();
  const nginx = path.join(wb.workspace, 'docker', 'nginx.conf');
  const original = fs.readFileSync(nginx, 'utf8');
  const baks = () => fs.readdirSync(path.dirname(nginx)).filter((n) => n.startsWith('nginx.conf.bak'));
  const baksBefore = baks();
  const lost = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ui-lost-'));
  let server: S3TestServer | undefined;
  let putBack = () => {};
  try {
    server = await startMotoS3([BUCKET], false);
    const offsite = {
      'lifeboat.offsite.destination': `s3://${BUCKET}/sms`,
      'lifeboat.offsite.s3.endpoint': server.endpoint,
      'lifeboat.offsite.s3.forcePathStyle': true,
      'lifeboat.offsite.requireEncryption': false,
    };
    putBack = machineSettings(wb, offsite);
    await page.keyboard.press('Escape');
    await clearNotifications(wb);
    await page.waitForTimeout(1500); // VS Code reads the changed settings file

    // A config archive and a volume snapshot beside the flow's database backup; sms-db stops for
    // the snapshot, so the copy is one a restore can start from without crash recovery.
    await runCommandFromPalette(wb, 'Lifeboat: Archive Config');
    await waitForNotification(wb, /Config archived and verified: "config_\d{8}_\d{6}\.tar\.gz/, 120_000);
    await pickFromPalette(wb, 'Lifeboat: Snapshot Volume…', 'sms_postgres_data');
    const stop = page.locator('.monaco-dialog-box', { hasText: 'Stop "sms-db" for' });
    await stop.waitFor({ timeout: 30_000 });
    await stop.locator('a.monaco-button', { hasText: 'Stop and Snapshot' }).click();
    await waitForNotification(wb, /Snapshot created.*"volume_sms_postgres_data_\d{8}_\d{6}\.tar\.gz"/, 300_000);

    const database = newest(path.join(backups, 'database'), /^sms_backup_\d{8}_\d{6}\.sql\.gz$/);
    const config = newest(path.join(backups, 'config'), /^config_\d{8}_\d{6}\.tar\.gz$/);
    const volume = newest(path.join(backups, 'volumes'), /^volume_sms_postgres_data_\d{8}_\d{6}\.tar\.gz$/);
    for (const name of [database, config, volume]) {
      await clearNotifications(wb);
      await pickFromPalette(wb, 'Lifeboat: Copy Off-site', exactly(name));
      const copied = await waitForNotification(
        wb,
        new RegExp(`^Copied "${name.replace(/\./g, '\\.')}" to s3://${BUCKET}/sms at `),
        180_000,
      );
      console.log(`[ui] notification: ${copied}`);
    }
    // The layout the runbook's `aws s3 cp` reads: the local one under the prefix, each file with its manifest.
    const listed = await server.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const keys = (listed.Contents ?? []).map((o) => o.Key).sort();
    const expected = [`sms/config/${config}`, `sms/database/${database}`, `sms/volumes/${volume}`].flatMap((k) => [k, `${k}.json`]).sort();
    if (JSON.stringify(keys) !== JSON.stringify(expected))
      throw new Error(`the bucket holds ${JSON.stringify(keys)}, not ${JSON.stringify(expected)}`);

    // Written after the copies: a restore that swapped the live data in takes it away.
    psql(`CREATE TABLE ${MARKER} (note text)`);
    fs.writeFileSync(nginx, original.replace('client_max_body_size', '# edited after the off-site copy\n    client_max_body_size'));

    // The disk with the backups is gone: the backup folder is now an empty one.
    putBack();
    putBack = machineSettings(wb, { ...offsite, 'lifeboat.backupDirectory': lost });
    await page.waitForTimeout(1500);
    await runCommandFromPalette(wb, 'Lifeboat: Refresh Backups');
    const group = page.locator('.part.sidebar .monaco-list-row', { hasText: /^Off-site/ }).first();
    await group.waitFor({ timeout: 30_000 });
    const onlyOffsite = page.locator('.part.sidebar .monaco-list-row', { hasText: /off-site only/ });
    if (!(await onlyOffsite.first().isVisible())) await group.click();
    await offsiteRow(wb, 'archive', /off-site only/).waitFor({ timeout: 30_000 });
    if ((await onlyOffsite.count()) !== 3) throw new Error(`expected 3 off-site only rows: ${await onlyOffsite.allInnerTexts()}`);
    await page.mouse.move(900, 600);
    await page.waitForTimeout(500);
    await screenshot(wb, 's3-offsite-group');

    // The volume: its modal, then its typed name; the marker is gone with the content it replaced.
    await clearNotifications(wb);
    const volumeModal = page.locator('.monaco-dialog-box', { hasText: 'Replace the volume "sms_postgres_data"?' });
    await restoreFromRow(wb, offsiteRow(wb, 'archive', /off-site only/), volumeModal, 180_000);
    await page.waitForTimeout(500);
    await screenshot(wb, 's3-restore-volume');
    await volumeModal.locator('a.monaco-button', { hasText: 'Replace…' }).click();
    const volumeName = page.locator('.quick-input-widget', { hasText: 'sms_postgres_data' }).locator('input');
    await volumeName.waitFor();
    await volumeName.pressSequentially('sms_postgres_data');
    await page.keyboard.press('Enter');
    const volumeDone = await waitForNotification(
      wb,
      new RegExp(`^Restored "sms_postgres_data" from "${volume.replace(/\./g, '\\.')}"`),
      300_000,
    );
    console.log(`[ui] notification: ${volumeDone}`);
    if (hasMarker()) throw new Error(`the volume restore left ${MARKER}, written after the snapshot: the volume was not swapped`);

    // The database: download, manifest check and dry run before its modal, then the typed name.
    psql(`CREATE TABLE ${MARKER} (note text)`);
    await clearNotifications(wb);
    const databaseModal = page.locator('.monaco-dialog-box', { hasText: 'Replace the live database "sms_db"' });
    await restoreFromRow(wb, offsiteRow(wb, 'database', /off-site only/), databaseModal, 300_000);
    const detail = await databaseModal.innerText();
    if (!/Dry run passed/.test(detail)) throw new Error(`the modal does not report the dry run: ${JSON.stringify(detail)}`);
    await page.waitForTimeout(500);
    await screenshot(wb, 's3-restore-database');
    await databaseModal.locator('a.monaco-button', { hasText: 'Replace…' }).click();
    const dbName = page.locator('.quick-input-widget input');
    await dbName.waitFor();
    await dbName.pressSequentially('sms_db');
    await page.keyboard.press('Enter');
    const databaseDone = await waitForNotification(wb, new RegExp(`^Restored "sms_db" from "${database.replace(/\./g, '\\.')}"`), 300_000);
    console.log(`[ui] notification: ${databaseDone}`);
    if (hasMarker()) throw new Error(`the database restore left ${MARKER}, written after the backup: the database was not swapped`);
    await page.mouse.move(900, 600);
    await screenshot(wb, 's3-restored-database');
    await dropPreRestoreCopy(wb);

    // The config: its review lists the changed file; Enter takes it, the modal's Restore applies it.
    await clearNotifications(wb);
    const review = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'docker/nginx.conf' }).first();
    await restoreFromRow(wb, offsiteRow(wb, 'settings-gear', /off-site only/), review, 180_000);
    await page.mouse.move(900, 600);
    await page.waitForTimeout(500);
    await screenshot(wb, 's3-restore-config');
    await page.locator('.quick-input-widget input').focus();
    await page.keyboard.press('Enter');
    const configModal = page.locator('.monaco-dialog-box', { hasText: /Restore 1 config file/ });
    await configModal.waitFor({ timeout: 30_000 });
    await configModal.locator('a.monaco-button', { hasText: /^Restore$/ }).click();
    await waitForNotification(wb, /Restored 1 config file/, 60_000);
    if (fs.readFileSync(nginx, 'utf8') !== original) throw new Error('nginx.conf was not restored from the S3 copy');
    for (const [name, dir] of [
      [database, 'database'],
      [volume, 'volumes'],
      [config, 'config'],
    ])
      if (!fs.existsSync(path.join(lost, dir, name))) throw new Error(`the download of ${name} is not in the backup folder`);
    await page.mouse.move(900, 600);
    await screenshot(wb, 's3-restored-all');
  } finally {
    putBack();
    fs.writeFileSync(nginx, original);
    for (const name of baks()) if (!baksBefore.includes(name)) fs.rmSync(path.join(path.dirname(nginx), name));
    try {
      psql(`DROP TABLE IF EXISTS ${MARKER}`);
    } catch (err) {
      console.error(`[ui] could not drop ${MARKER}: ${(err as Error).message}`);
    }
    await server?.stop();
    fs.rmSync(lost, { recursive: true, force: true });
  }
  // Containers restart for the volume swap: the databases and that both run again are what must match.
  const after = stackState();
  if (JSON.stringify(after.databases) !== JSON.stringify(before.databases))
    throw new Error(`the databases were ${before.databases.join(', ')}, now ${after.databases.join(', ')}`);
  const stopped = Object.entries(after.containers).filter(([, s]) => !s.startsWith('running'));
  if (stopped.length) throw new Error(`not running after the S3 restores: ${stopped.map(([n, s]) => `${n} (${s})`).join(', ')}`);
}
