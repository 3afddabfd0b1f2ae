import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Manifest, MANIFEST_VERSION, writeManifest } from '../../src/core/store';

/** The database backup every off-site fixture holds. */
export const BACKUP_NAME = 'sms_backup_20260101_020000.sql.gz';

export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A verified database backup's manifest, as Lifeboat writes it, for `data` under `name`. */
export function manifestFor(name: string, data: Buffer): Manifest {
  return {
    formatVersion: MANIFEST_VERSION,
    kind: 'database',
    createdAt: '2026-01-01T02:00:00.000Z',
    tool: { name: 'lifeboat', version: 'test' },
    source: { project: 'sms', database: 'sms_db' },
    compression: { format: 'gzip', level: 1 },
    file: { name, bytes: data.length, sha256: sha256Hex(data) },
    verifications: [{ at: '2026-01-01T02:00:05.000Z', depth: 'quick', ok: true }],
  };
}

export interface OffsiteFixture {
  /** A fresh temporary folder holding everything below; the test removes it. */
  root: string;
  /** `root/backups`, the local backup folder. */
  backups: string;
  /** `root/backups/database`. */
  local: string;
  /** `root/nas`, an empty folder to use as the off-site destination. */
  remote: string;
  /** `local/BACKUP_NAME`, with its manifest beside it. */
  backup: string;
  /** The backup's bytes. */
  bytes: Buffer;
}

/**
 * A backup folder with one gzipped dump and its manifest, and an empty destination folder. The
 * dump's rows are `rowBytes` random bytes in base64, so it hardly compresses and a copy of it
 * takes as many chunks as the test needs to watch it mid-way.
 */
export async function offsiteFixture(prefix: string, rowBytes: number): Promise<OffsiteFixture> {
  const root = await fs.mkdtemp(join(tmpdir(), prefix));
  const backups = join(root, 'backups');
  const local = join(backups, 'database');
  const remote = join(root, 'nas');
  await fs.mkdir(local, { recursive: true });
  await fs.mkdir(remote);
  const script = `-- PostgreSQL database dump\nCOPY public.t (v) FROM stdin;\n${randomBytes(rowBytes).toString('base64')}\n\\.\n-- PostgreSQL database dump complete\n`;
  const bytes = gzipSync(script, { level: 1 });
  const backup = join(local, BACKUP_NAME);
  await fs.writeFile(backup, bytes);
  await writeManifest(backup, manifestFor(BACKUP_NAME, bytes));
  return { root, backups, local, remote, backup, bytes };
}

/**
 * A fresh offsiteFixture before each test of the suite that calls it (handed to `take`), removed
 * after each. Hooks registered later in the suite run after this one's, so they can use it.
 */
export function eachOffsiteFixture(prefix: string, rowBytes: number, take: (fixture: OffsiteFixture) => void): void {
  let root: string | undefined;
  beforeEach(async () => {
    const fixture = await offsiteFixture(prefix, rowBytes);
    root = fixture.root;
    take(fixture);
  });
  afterEach(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });
}
