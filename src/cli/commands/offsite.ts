import { basename, resolve } from 'node:path';
import { readKeyFile } from '../../core/crypto';
import { LifeboatError, formatBytes } from '../../core/common';
import {
  Destination,
  OffsiteKey,
  copyOffsite,
  fetchOffsite,
  offsiteCopies,
  offsitePathOf,
  parseDestination,
  remoteBackups,
  withOffsiteLock,
} from '../../core/offsite';
import { KINDS, listBackups } from '../../core/store';
import type { CliContext } from '../context';
import { EXIT, ExitCode } from '../exitCodes';
import { UsageError } from '../usageError';

/**
 * `lifeboat offsite list|copy [FILE...|--new]|pull REMOTE...`: the off-site half of the runbook
 * (`aws s3 cp`) and of its "complete failure" recovery, for cron and for a new machine.
 * `copy` with no files copies the newest backup of each kind, with `--new` every backup not
 * there yet (backups that failed verification stay here); `pull` brings copies back into
 * the backup folder, checked against their manifests, ready for `lifeboat verify` or a restore.
 */
export async function offsiteCommand(ctx: CliContext, args: string[], onlyNew = false): Promise<ExitCode> {
  const [action, ...rest] = args;
  const destination = parseDestination(ctx.settings.offsiteDestination, {
    s3: ctx.settings.offsiteS3,
    sftp: { identityFile: ctx.settings.offsiteSftpIdentityFile },
  });
  if (!destination) {
    throw new LifeboatError(
      'No off-site destination is set.',
      'Set lifeboat.offsite.destination in .vscode/settings.json (for example "/mnt/nas/sms-backups" or "s3://bucket/prefix").',
    );
  }
  // An S3 client keeps its sockets open; the command line ends when its work does.
  try {
    return await runAction(ctx, destination, action, rest, onlyNew);
  } finally {
    await destination.close?.();
  }
}

async function runAction(
  ctx: CliContext,
  destination: Destination,
  action: string | undefined,
  rest: string[],
  onlyNew: boolean,
): Promise<ExitCode> {
  switch (action) {
    case 'list':
      if (rest.length) throw new UsageError('offsite list takes no arguments.');
      return list(ctx, destination);
    case 'copy':
      if (onlyNew && rest.length) throw new UsageError('offsite copy takes files or --new, not both.');
      // Held from the listing on: a second --new that waited sees what the first one sent.
      return withOffsiteLock(ctx.settings.backupDirectory, destination, () => copy(ctx, destination, rest, onlyNew), {
        signal: ctx.signal,
      });
    case 'pull':
      if (!rest.length) throw new UsageError('offsite pull needs the paths to pull, as "offsite list" prints them (database/…).');
      return pull(ctx, destination, rest);
    default:
      throw new UsageError(action ? `Unknown offsite action "${action}".` : 'offsite needs an action: list, copy or pull.');
  }
}

async function list(ctx: CliContext, destination: Destination): Promise<ExitCode> {
  await destination.check();
  const local = new Set((await listBackups(ctx.settings.backupDirectory)).map((e) => e.fileName));
  for (const b of await remoteBackups(destination)) {
    const here = offsitePathOf(b.fileName).some((n) => local.has(n));
    if (ctx.json) ctx.out(JSON.stringify({ path: b.remotePath, kind: b.kind, bytes: b.bytes, manifest: b.hasManifest, local: here }));
    else
      ctx.out(
        `${b.remotePath}  ${formatBytes(b.bytes)}  ${here ? 'local + off-site' : 'off-site only'}${b.hasManifest ? '' : '  (no manifest)'}`,
      );
  }
  return EXIT.ok;
}

async function copy(ctx: CliContext, destination: Destination, files: string[], onlyNew: boolean): Promise<ExitCode> {
  let paths = files.map((f) => resolve(f));
  if (!paths.length) {
    const entries = (await listBackups(ctx.settings.backupDirectory)).filter((e) => e.state !== 'failed');
    if (onlyNew) {
      await destination.check();
      const there = await offsiteCopies(destination);
      paths = entries.filter((e) => !there.has(e.fileName)).map((e) => e.path);
      if (!paths.length && entries.length) {
        ctx.out(`Every backup in ${ctx.settings.backupDirectory} is at ${destination.describe()} already.`);
        return EXIT.ok;
      }
    } else paths = KINDS.flatMap((k) => entries.find((e) => e.kind === k)?.path ?? []);
    if (!paths.length)
      throw new LifeboatError(`No backups to copy in ${ctx.settings.backupDirectory}.`, 'Make one with: lifeboat backup database');
  }
  const requireEncryption = ctx.settings.offsiteRequireEncryption;
  for (const path of paths) {
    const key = requireEncryption && !/\.(age|enc)$/.test(path) ? await configuredKey(ctx) : undefined;
    try {
      const r = await copyOffsite(path, destination, { requireEncryption, key, signal: ctx.signal, logger: ctx.log });
      if (ctx.json) ctx.out(JSON.stringify({ path, remotePath: r.remotePath, outcome: r.outcome, bytes: r.bytes, sha256: r.sha256 }));
      else ctx.out(`${r.outcome === 'copied' ? 'COPIED ' : 'THERE  '} ${basename(path)} → ${r.remotePath} (${formatBytes(r.bytes)})`);
    } finally {
      if (key?.passphrase instanceof Uint8Array) key.passphrase.fill(0);
    }
  }
  return EXIT.ok;
}

async function pull(ctx: CliContext, destination: Destination, remotePaths: string[]): Promise<ExitCode> {
  for (const remotePath of remotePaths) {
    const r = await fetchOffsite(destination, remotePath, ctx.settings.backupDirectory, { signal: ctx.signal, logger: ctx.log });
    if (ctx.json) ctx.out(JSON.stringify({ remotePath, path: r.path, outcome: r.outcome, checked: r.checked, sha256: r.sha256 }));
    else
      ctx.out(
        `${r.outcome === 'downloaded' ? 'PULLED ' : 'HERE   '} ${remotePath} → ${r.path}${r.checked === 'manifest' ? ' (matches its manifest)' : ' (no manifest: run lifeboat verify on it)'}`,
      );
  }
  return EXIT.ok;
}

/** The key an unencrypted backup is encrypted with on its way (nothing is asked on the command line). */
async function configuredKey(ctx: CliContext): Promise<OffsiteKey | undefined> {
  const format = ctx.settings.encryptionFormat;
  const recipients = ctx.settings.encryptionRecipients;
  if (format === 'age' && recipients.length) return { format, recipients };
  const keyFile = ctx.settings.encryptionKeyFiles.keyFile;
  return keyFile ? { format, passphrase: await readKeyFile(keyFile) } : undefined;
}
