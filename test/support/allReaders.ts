import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openBackupSource } from '../../src/core/encryption';
import { readArchiveEntries, safeExtract, checkTarGz } from '../../src/core/archive';
import { checkVolumeArchive } from '../../src/core/volume';
import { Outcome, settleWithin } from './hostileTar';

/** Long enough for any of these small archives, short enough that a hang fails fast. */
export const SETTLE_MS = 3000;

export const READERS = ['checkTarGz', 'checkVolumeArchive', 'readArchiveEntries', 'safeExtract'] as const;
export type Reader = (typeof READERS)[number];

/**
 * Runs every reader of archives on `path`; safeExtract stages under `root` and must clean up
 * after a refusal. A staging folder of an accepted archive is left for the caller's `root`.
 */
export async function readAll(path: string, root: string): Promise<Record<Reader, Outcome>> {
  const staging = join(root, `staging-${Math.random().toString(36).slice(2)}`);
  const source = await openBackupSource(path);
  const out = {
    checkTarGz: await settleWithin('checkTarGz', checkTarGz(source), SETTLE_MS),
    checkVolumeArchive: await settleWithin('checkVolumeArchive', checkVolumeArchive(path, { purpose: 'verify' }), SETTLE_MS),
    readArchiveEntries: await settleWithin('readArchiveEntries', readArchiveEntries(path), SETTLE_MS),
    safeExtract: await settleWithin('safeExtract', safeExtract(path, { stagingDir: staging }), SETTLE_MS),
  };
  if (out.safeExtract.settled === 'rejected') assert.equal(existsSync(staging), false, 'a refused extraction removes its staging folder');
  return out;
}
