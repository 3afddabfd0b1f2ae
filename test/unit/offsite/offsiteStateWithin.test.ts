import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Destination,
  FolderDestination,
  OFFSITE_VIEW_TIMEOUT_MS,
  OffsiteState,
  copyOffsite,
  parseDestination,
  readOffsiteStateWithin,
} from '../../../src/core/offsite';
import { offsiteFixture } from '../../support/offsiteFixture';
import { SilentServer, silentServer } from '../../support/silentServer';

/** Resolves with the late state, or with undefined after `ms`. */
function lateState(ms: number): { late: (s: OffsiteState) => void; got: Promise<OffsiteState | undefined> } {
  let late: (s: OffsiteState) => void = () => undefined;
  const got = new Promise<OffsiteState | undefined>((resolve) => {
    late = resolve;
    setTimeout(() => resolve(undefined), ms).unref();
  });
  return { late, got };
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work;
  return { value, ms: performance.now() - start };
}

describe('readOffsiteStateWithin: the Backups view does not wait on a destination that hangs', function () {
  this.timeout(60_000);
  let server: SilentServer;
  let root: string;
  beforeEach(async () => {
    server = await silentServer();
    root = await fs.mkdtemp(join(tmpdir(), 'lb-within-'));
  });
  afterEach(async () => {
    await server.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('an S3 endpoint that accepts and never answers: "not reachable (timed out after 10 s)" at 10 s, the listing still waiting; when the server goes, its own error comes late', async () => {
    const destination = parseDestination('s3://sms-backups/sms', {
      s3: {
        endpoint: `http://127.0.0.1:${server.port}`,
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      },
    }) as Destination;
    const { late, got } = lateState(30_000);
    const { value: state, ms } = await timed(readOffsiteStateWithin(destination, { late }));
    assert.equal(OFFSITE_VIEW_TIMEOUT_MS, 10_000);
    assert.ok(ms >= 9_900 && ms < 11_000, `gave up after ${Math.round(ms)} ms`);
    assert.equal(state.timedOutAfterMs, 10_000);
    assert.equal(
      state.problem,
      `Not reachable: s3://sms-backups/sms at http://127.0.0.1:${server.port} did not answer (timed out after 10 s). Refresh to try again.`,
    );
    assert.deepEqual([state.backups, state.copies.size], [[], 0]);
    // Not cancelled: the request is still open at the server, waiting for an answer.
    assert.ok(server.accepted >= 1, 'the client never connected');
    assert.ok(server.open() >= 1, 'the listing gave up with the view');
    await server.stop();
    const after = await got;
    assert.ok(after, 'the listing never ended after the server went away');
    assert.equal(after.timedOutAfterMs, undefined);
    assert.match(after.problem ?? '', /^Cannot reach the S3 storage at http:\/\/127\.0\.0\.1:\d+ \(/);
  });

  it('an SFTP host that accepts and never sends its banner: not reachable after the wait, and the login goes on', async () => {
    const key = join(root, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const destination = parseDestination(`sftp://backup@127.0.0.1:${server.port}/srv/backups`, {
      sftp: { identityFile: key, knownHosts: join(root, 'known_hosts') },
    }) as Destination;
    const { late, got } = lateState(30_000);
    const { value: state, ms } = await timed(readOffsiteStateWithin(destination, { timeoutMs: 1_500, late }));
    assert.ok(ms >= 1_450 && ms < 2_500, `gave up after ${Math.round(ms)} ms`);
    assert.equal(state.timedOutAfterMs, 1_500);
    assert.match(
      state.problem ?? '',
      /^Not reachable: the SFTP folder sftp:\/\/backup@127\.0\.0\.1:\d+\/srv\/backups did not answer \(timed out after 1\.5 s\)\./,
    );
    assert.equal(server.open(), 1, 'the login gave up with the view');
    await server.stop();
    const after = await got;
    assert.ok(after?.problem, 'the login never ended after the server went away');
    assert.equal(after.timedOutAfterMs, undefined);
  });

  it('a destination that answers in time gives its listing, and nothing comes late', async () => {
    const f = await offsiteFixture('lb-within-folder-', 10_000);
    try {
      await copyOffsite(f.backup, new FolderDestination(f.remote), { requireEncryption: false });
      const { late, got } = lateState(1_500);
      const state = await readOffsiteStateWithin(new FolderDestination(f.remote), { timeoutMs: 1_000, late });
      assert.equal(state.problem, undefined);
      assert.equal(state.timedOutAfterMs, undefined);
      assert.deepEqual([...state.copies.keys()], ['sms_backup_20260101_020000.sql.gz']);
      assert.equal(await got, undefined, 'an answer in time was given again as late');
    } finally {
      await fs.rm(f.root, { recursive: true, force: true });
    }
  });
});
