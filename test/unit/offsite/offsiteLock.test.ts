import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../../src/cli/main';
import { LockedError } from '../../../src/core/common';
import { MANIFEST_VERSION, writeManifest } from '../../../src/core/store';
import { FolderDestination, copyOffsite, lockOffsiteCopies, withOffsiteLock } from '../../../src/core/offsite';
import type { Destination } from '../../../src/core/offsite';

const NAME = 'sms_backup_20260301_020000.sql.gz';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Runs the command line in this process, with what it prints. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

/** A real folder destination that also records how many writes of each path are open at once. */
function watched(root: string): { destination: Destination; most: Map<string, number> } {
  const inner = new FolderDestination(root);
  const open = new Map<string, number>();
  const most = new Map<string, number>();
  const destination: Destination = Object.assign(Object.create(inner) as FolderDestination, {
    write: async (path: string) => {
      const pending = await inner.write(path);
      open.set(path, (open.get(path) ?? 0) + 1);
      most.set(path, Math.max(most.get(path) ?? 0, open.get(path)!));
      let closed = false;
      const close = () => {
        if (!closed) open.set(path, open.get(path)! - 1);
        closed = true;
      };
      return {
        stream: pending.stream,
        readBack: () => pending.readBack(),
        commit: async () => {
          await pending.commit();
          close();
        },
        abort: async () => {
          await pending.abort();
          close();
        },
      };
    },
  });
  return { destination, most };
}

describe('one off-site copy at a time per backup folder and destination (the lock)', () => {
  let root: string;
  let project: string;
  let backups: string;
  let nas: string;
  let backup: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-offsite-lock-'));
    project = join(root, 'project');
    backups = join(project, 'backups');
    nas = join(root, 'nas');
    await fs.mkdir(join(project, '.vscode'), { recursive: true });
    await fs.mkdir(join(backups, 'database'), { recursive: true });
    await fs.mkdir(nas);
    await fs.writeFile(
      join(project, '.vscode', 'settings.json'),
      JSON.stringify({
        'lifeboat.backupDirectory': 'backups',
        'lifeboat.offsite.destination': nas,
        'lifeboat.offsite.requireEncryption': false,
      }),
    );
    // Megabytes of incompressible rows: a copy takes many chunks, long enough for a second one to overlap.
    const data = gzipSync(
      `-- PostgreSQL database dump\nCOPY public.t (v) FROM stdin;\n${randomBytes(3_000_000).toString('base64')}\n\\.\n`,
      { level: 1 },
    );
    backup = join(backups, 'database', NAME);
    await fs.writeFile(backup, data);
    await writeManifest(backup, {
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: '2026-03-01T02:00:00.000Z',
      tool: { name: 'lifeboat', version: 'test' },
      source: { database: 'sms_db' },
      compression: { format: 'gzip' },
      file: { name: NAME, bytes: data.length, sha256: sha(data) },
      verifications: [{ at: '2026-03-01T02:00:05.000Z', depth: 'quick', ok: true }],
    });
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('two callers at once: the second waits for the first, never uploads the same object beside it, and then finds it there', async () => {
    const { destination, most } = watched(nas);
    const copyOnce = () => withOffsiteLock(backups, destination, () => copyOffsite(backup, destination, { requireEncryption: false }));
    const results = await Promise.all([copyOnce(), copyOnce()]);
    assert.deepEqual(results.map((r) => r.outcome).sort(), ['copied', 'skipped']);
    assert.equal(most.get(`database/${NAME}`), 1, 'never two writes of the data at once');
    assert.deepEqual((await fs.readdir(join(nas, 'database'))).sort(), [NAME, `${NAME}.json`]);
    assert.deepEqual(
      (await fs.readdir(backups)).filter((n) => n.endsWith('.lock')),
      [],
      'the lock is gone after both',
    );
  });

  it('a copy still running after the wait: a LockedError naming who holds it and where to, and the second one sent nothing', async () => {
    const destination = new FolderDestination(nas);
    const held = await lockOffsiteCopies(backups, destination);
    try {
      const started = Date.now();
      await assert.rejects(
        withOffsiteLock(backups, destination, () => copyOffsite(backup, destination, { requireEncryption: false }), { waitMs: 400 }),
        (err: unknown) => {
          assert.ok(err instanceof LockedError, String(err));
          assert.match(
            err.message,
            new RegExp(
              `^Another command or a scheduled run in this VS Code window has been copying backups to the folder ${nas} since \\d{2}:\\d{2}\\.$`,
            ),
          );
          assert.equal(err.hint, 'Wait for it to finish, then retry.');
          return true;
        },
      );
      assert.ok(Date.now() - started >= 400, 'it waited before giving up');
    } finally {
      await held.release();
    }
    assert.deepEqual(await fs.readdir(nas), [], 'nothing was sent');
    // Another destination has a lock of its own.
    const other = join(root, 'usb');
    await fs.mkdir(other);
    const elsewhere = await lockOffsiteCopies(backups, new FolderDestination(other));
    const here = await lockOffsiteCopies(backups, destination, { waitMs: 0 });
    await here.release();
    await elsewhere.release();
  });

  it('lifeboat offsite copy --new while another process copies there: exit 4 with that process named, nothing sent; afterwards it copies', async function () {
    this.timeout(30_000);
    const offsiteModule = join(__dirname, '../../../src/core/offsite/index.js');
    const script = `
      const { FolderDestination, lockOffsiteCopies } = require(${JSON.stringify(offsiteModule)});
      lockOffsiteCopies(${JSON.stringify(backups)}, new FolderDestination(${JSON.stringify(nas)})).then(
        (lock) => { console.log('held'); process.stdin.resume(); process.stdin.on('end', () => lock.release().then(() => process.exit(0))); },
        (err) => { console.log('error ' + err.message); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      const first = await new Promise<string>((resolve) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', () => resolve(out.trim()));
      });
      assert.equal(first, 'held');
      const busy = await cli(['offsite', 'copy', '--new', '--folder', project]);
      assert.equal(busy.code, 4, busy.err);
      assert.match(
        busy.err,
        new RegExp(
          `Another VS Code window or a scheduled run of Lifeboat \\(process ${child.pid}\\) has been copying backups to the folder ${nas} since \\d{2}:\\d{2}\\.\\n  Wait for it to finish, then retry\\.`,
        ),
      );
      assert.equal(busy.out, '');
      assert.deepEqual(await fs.readdir(nas), [], 'nothing was sent');
    } finally {
      child.stdin.end();
      await exited;
    }
    const copied = await cli(['offsite', 'copy', '--new', '--folder', project]);
    assert.equal(copied.code, 0, copied.err);
    assert.match(copied.out, new RegExp(`^COPIED  ${NAME} → database/${NAME} \\(`));
  });
});
