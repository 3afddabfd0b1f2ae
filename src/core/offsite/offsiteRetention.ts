import { Logger, errorText, silentLogger, throwIfAborted } from '../common';
import { BackupEntry, manifestName, parseBackupName, verificationState } from '../store';
import { PruneResult, RetentionPlan, RetentionPolicies, assertPlanKeepsEnough, planRetention } from '../retention';
import type { Destination } from './destination';
import { readRemoteManifest } from './copyOffsite';
import { remoteBackups } from './offsiteCopies';

/**
 * The backups at a destination as retention sees local ones: `path` is the path there
 * ("database/…"), the state comes from the manifest beside each (a copy carries its
 * verifications), and one without a manifest is unverified.
 */
export async function offsiteEntries(destination: Destination): Promise<BackupEntry[]> {
  const out: BackupEntry[] = [];
  for (const b of await remoteBackups(destination)) {
    const parsed = parseBackupName(b.fileName)!;
    const manifest = b.hasManifest ? await readRemoteManifest(destination, manifestName(b.remotePath)) : undefined;
    out.push({
      path: b.remotePath,
      fileName: b.fileName,
      kind: b.kind,
      subject: parsed.subject,
      createdAt: b.createdAt,
      bytes: b.bytes,
      mtime: b.modified ?? b.createdAt,
      encryption: parsed.encryption,
      manifest,
      state: verificationState(manifest),
    });
  }
  return out;
}

/** What `lifeboat.offsite.retention.*` keeps and deletes at a destination, and why; nothing is touched. */
export async function planOffsiteRetention(
  destination: Destination,
  policies: RetentionPolicies,
  now = new Date(),
): Promise<RetentionPlan> {
  await destination.check();
  return planRetention(await offsiteEntries(destination), policies, now);
}

export interface PruneOffsiteOptions {
  /** Delete only these paths (as the preview showed them), when a fresh plan agrees. */
  only?: ReadonlySet<string>;
  now?: Date;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Deletes at a destination what its retention lets go, under the same contract as a local
 * cleanup (contract 6 in docs/contracts.md): the plan is made afresh, the newest and the newest
 * verified backup of each series stay, and only backup names are ever deleted. The manifest
 * goes first: a copy interrupted half-way is then a plain file the next cleanup finds again,
 * never an orphan manifest nobody lists.
 */
export async function pruneOffsite(
  destination: Destination,
  policies: RetentionPolicies,
  opts: PruneOffsiteOptions = {},
): Promise<PruneResult> {
  const log = opts.logger ?? silentLogger;
  const plan = await planOffsiteRetention(destination, policies, opts.now ?? new Date());
  assertPlanKeepsEnough(plan);
  const result: PruneResult = { plan, removed: [], freedBytes: 0, failures: [] };
  const doomed = plan.remove
    .filter((e) => !opts.only || opts.only.has(e.path))
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  for (const entry of doomed) {
    throwIfAborted(opts.signal);
    try {
      await destination.remove(manifestName(entry.path));
      await destination.remove(entry.path);
      result.removed.push({ path: entry.path, bytes: entry.bytes });
      result.freedBytes += entry.bytes;
      log.info(`Off-site cleanup: deleted ${entry.path} at ${destination.describe()}`);
    } catch (err) {
      const message = errorText(err);
      result.failures.push({ path: entry.path, message });
      log.warn(`Off-site cleanup: could not delete ${entry.path} at ${destination.describe()}: ${message}`);
    }
  }
  return result;
}
