import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError, LockedError, fsError } from '../../../src/core/common';
import { acquireLock, liveLocks, lockedMessage } from '../../../src/core/store';

const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const owner = (pid: number, operation = 'database backup') => JSON.stringify({ pid, host: hostname(), operation, startedAt: '' });
const claimOf = (lockPath: string, text: string) => `${lockPath}.takeover-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;

describe('lock edges: messages for every operation, dead takeover claims, unusable folders', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-lockedge-'));
  });
  afterEach(async () => {
    await fs.chmod(dir, 0o700).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("says what the holder is doing, for each operation and for the schedule's own lock", () => {
    const say = (stack: string, operation: string) =>
      lockedMessage(stack, { pid: 4242, host: 'far-away', operation, startedAt: 'not a time' });
    assert.equal(say('sms', 'config archive'), 'Lifeboat on far-away (process 4242) has been archiving the config of "sms".');
    assert.equal(
      say('volume_sms_data', 'volume snapshot'),
      'Lifeboat on far-away (process 4242) has been snapshotting the volume "sms_data".',
    );
    assert.equal(say('volume_sms_data', 'volume restore'), 'Lifeboat on far-away (process 4242) has been restoring the volume "sms_data".');
    assert.equal(
      say('volume_sms_data', 'start left stopped'),
      'Lifeboat on far-away (process 4242) has been starting the containers an interrupted snapshot or restore of the volume "sms_data" left stopped.',
    );
    assert.equal(say('sms', 'database restore'), 'Lifeboat on far-away (process 4242) has been restoring the database of "sms".');
    assert.equal(say('sms', 'swap back'), 'Lifeboat on far-away (process 4242) has been swapping back the database of "sms".');
    assert.equal(say('sms', 'cleanup'), 'Lifeboat on far-away (process 4242) has been cleaning up the backups of "sms".');
    assert.equal(say('sms', 'export'), 'Lifeboat on far-away (process 4242) has been working on "sms" (export).');
    assert.equal(
      say('schedule', 'scheduled database backup'),
      'Lifeboat on far-away (process 4242) has been running a scheduled database backup.',
    );
    assert.equal(say('schedule', 'scheduler'), 'Lifeboat on far-away (process 4242) has been starting the schedule.');
  });

  it('clears a takeover claim left by a process that died half-way, then takes the stale lock', async () => {
    const path = join(dir, '.lifeboat-sms.lock');
    const stale = owner(deadPid());
    await fs.writeFile(path, stale);
    await fs.writeFile(claimOf(path, stale), owner(deadPid()));
    const held = await acquireLock(dir, 'sms', 'database backup');
    assert.equal(JSON.parse(await fs.readFile(path, 'utf8')).pid, process.pid);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['.lifeboat-sms.lock'], 'the dead claim is gone');
    await held.release();
    await held.release();
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('leaves a stale lock to a live claimant: locked, naming the stale holder, nothing removed', async () => {
    const path = join(dir, '.lifeboat-sms.lock');
    const dead = deadPid();
    const stale = owner(dead, 'cleanup');
    await fs.writeFile(path, stale);
    await fs.writeFile(claimOf(path, stale), owner(process.pid));
    await assert.rejects(
      acquireLock(dir, 'sms', 'database backup'),
      (err: Error) =>
        err instanceof LockedError && err.message.includes(`(process ${dead})`) && /cleaning up the backups of "sms"/.test(err.message),
    );
    assert.equal(await fs.readFile(path, 'utf8'), stale);
  });

  it('a lock that vanishes between the failed create and the read is reported as held, not taken', async () => {
    // A directory where the lock file belongs: the create fails with EEXIST and reading it fails.
    await fs.mkdir(join(dir, '.lifeboat-sms.lock'));
    await assert.rejects(
      acquireLock(dir, 'sms', 'database backup'),
      (err: Error) => err instanceof LockedError && /Another Lifeboat operation is already working on "sms" \(lock file /.test(err.message),
    );
    assert.equal((await liveLocks(dir)).length, 1, 'an unreadable lock counts as live');
  });

  it('a missing folder: the lock error names the lock file; it holds no live locks', async () => {
    const missing = join(dir, 'missing');
    await assert.rejects(
      acquireLock(missing, 'sms', 'database backup'),
      (err: Error) =>
        err instanceof LifeboatError &&
        err.message.startsWith(`Cannot create the lock file (${join(missing, '.lifeboat-sms.lock')}): ENOENT`),
    );
    assert.deepEqual(await liveLocks(missing), []);
  });

  it("liveLocks lists only lock files of live holders, leaving out the caller's own", async () => {
    const mine = await acquireLock(dir, 'sms', 'database backup');
    await fs.writeFile(join(dir, '.lifeboat-other.lock'), owner(process.pid, 'volume snapshot'));
    await fs.writeFile(join(dir, '.lifeboat-dead.lock'), owner(deadPid()));
    await fs.writeFile(join(dir, 'notes.txt'), owner(process.pid));
    assert.deepEqual(await liveLocks(dir, mine.path), [
      { path: join(dir, '.lifeboat-other.lock'), pid: process.pid, host: hostname(), operation: 'volume snapshot' },
    ]);
    assert.equal((await liveLocks(dir)).length, 2);
    await mine.release();
  });

  it('fsError names the path and the way out for each kind of file-system failure', () => {
    const e = (code: string) => Object.assign(new Error(`${code}: boom`), { code });
    assert.match(fsError(e('ENOSPC'), 'write the backup', '/b/x').message, /is full \(ENOSPC\)/);
    assert.match(fsError(e('EACCES'), 'write the backup', '/b/x').message, /not writable \(EACCES\)/);
    assert.match(
      fsError(e('EDQUOT'), 'write the backup', '/b/x').message,
      /^The disk holding \/b\/x is full \(EDQUOT\) while trying to write the backup\.$/,
    );
    assert.match(fsError(e('EPERM'), 'write the backup', '/b/x').message, /^Cannot write the backup: \/b\/x is not writable \(EPERM\)\.$/);
    assert.match(fsError(e('EROFS'), 'write the backup', '/b/x').message, /not writable \(EROFS\)/);
    assert.match(
      fsError(e('ENOTDIR'), 'create the folder', '/b/x').message,
      /^Cannot create the folder: a part of \/b\/x is a file, not a folder \(ENOTDIR\)\.$/,
    );
    assert.match(fsError(e('EEXIST'), 'create the folder', '/b/x').hint ?? '', /lifeboat\.backupDirectory/);
    // A read of a workspace file is not about the backup folder: no "not writable", no backupDirectory.
    const unreadable = fsError(e('EACCES'), 'read the config file', '/w/nginx.conf');
    assert.equal(unreadable.message, 'Cannot read the config file: /w/nginx.conf is not readable (EACCES).');
    assert.doesNotMatch(unreadable.hint ?? '', /backupDirectory/);
    assert.equal(
      fsError(e('ENOTDIR'), 'read the workspace folder', '/w/x').message,
      'Cannot read the workspace folder: a part of /w/x is a file, not a folder (ENOTDIR).',
    );
    assert.equal((fsError(e('EPERM'), 'read the backup', '/b/x').cause as Error).message, 'EPERM: boom');
    assert.equal(fsError(e('EIO'), 'read the backup', '/b/x').message, 'Cannot read the backup (/b/x): EIO: boom');
    assert.equal(fsError('plain text', 'read the backup', '/b/x').message, 'Cannot read the backup (/b/x): plain text');
  });
});
