// The SFTP destination against a real OpenSSH server (Debian's sshd on 127.0.0.1, keys made
// here; see sftpServer.ts): copies read back with the same sha256, host keys checked against
// known_hosts as ssh does, and logins, folders and cancels that fail say why and leave nothing.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CancelledError, LifeboatError } from '../../src/core/common';
import { HostKeyError, SftpDestination, copyOffsite, offsiteCopies, parseDestination } from '../../src/core/offsite';
import type { SftpOptions } from '../../src/core/offsite';
import { Manifest, MANIFEST_VERSION, writeManifest } from '../../src/core/store';
import { recordFault, shown } from './faultMatrix';
import { REPO, freePort, run } from './harness';
import { SftpServer, startSftpServer } from './sftpServer';
import { keygen } from './sshServer';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('off-site copies to an SFTP server (OpenSSH on 127.0.0.1)', function () {
  this.timeout(120_000);
  let server: SftpServer;
  let local: string;
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };

  /** A dump as pg_dump writes it, gzip'd, with its manifest: many chunks, so a copy can be watched and cancelled mid-way. */
  async function backupFile(name: string, megabytes: number): Promise<{ path: string; bytes: Buffer }> {
    const script = `-- PostgreSQL database dump\nCOPY public.t (v) FROM stdin;\n${randomBytes(megabytes * 750_000).toString('base64')}\n\\.\n-- PostgreSQL database dump complete\n`;
    const bytes = gzipSync(script, { level: 1 });
    const path = join(local, name);
    await fs.writeFile(path, bytes);
    const manifest: Manifest = {
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: new Date().toISOString(),
      tool: { name: 'lifeboat', version: 'test' },
      source: { project: 'sms', database: 'sms_db' },
      compression: { format: 'gzip', level: 1 },
      file: { name, bytes: bytes.length, sha256: sha(bytes) },
      verifications: [{ at: new Date().toISOString(), depth: 'quick', ok: true }],
    };
    await writeManifest(path, manifest);
    return { path, bytes };
  }

  const knownHosts = () => join(server.home, '.ssh', 'known_hosts');
  const url = (path = server.remote, port = server.port) => `sftp://${server.user}@127.0.0.1:${port}${path}`;
  const destination = (opts: SftpOptions = {}, path?: string) => parseDestination(url(path), { sftp: opts }) as SftpDestination;
  const trustServer = () => fs.writeFile(knownHosts(), `${server.hostKeyLine}\n`);
  const refusal = async (p: Promise<unknown>): Promise<LifeboatError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof LifeboatError, `expected a refusal, got ${String(err)}`);
    return err;
  };
  /** A message with this run's folder, port and key fingerprint replaced, as the reliability report shows it. */
  const anonymous = (text: string) =>
    text
      .split(server.dir)
      .join('<server>')
      .split(String(server.port))
      .join('<port>')
      .split(server.hostFingerprint)
      .join('SHA256:<fingerprint>');
  const remoteNames = async () => (await fs.readdir(join(server.remote, 'database')).catch(() => [] as string[])).sort();

  before(async () => {
    server = await startSftpServer();
    local = join(server.dir, 'backups', 'database');
    await fs.mkdir(local, { recursive: true });
    // The default key and known_hosts come from HOME, as for ssh; no agent here.
    process.env.HOME = server.home;
    delete process.env.SSH_AUTH_SOCK;
  });
  after(async () => {
    process.env.HOME = saved.HOME;
    if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
    await server?.stop();
  });

  it('an unknown host key is refused in core, with its SHA256 fingerprint and the command that adds it; nothing is written', async () => {
    await fs.rm(knownHosts(), { force: true });
    const err = await refusal(destination().check());
    assert.ok(err instanceof HostKeyError && err.reason === 'unknown', String(err));
    assert.ok(err.message.includes(server.hostFingerprint), `${err.message} does not show ${server.hostFingerprint}`);
    assert.match(err.hint ?? '', new RegExp(`ssh-keyscan -p ${server.port} 127\\.0\\.0\\.1 >> ~/\\.ssh/known_hosts`));
    assert.equal(existsSync(knownHosts()), false);
  });

  it('declined in the prompt, nothing is trusted; accepted, the key goes into known_hosts where OpenSSH finds it', async () => {
    await fs.rm(knownHosts(), { force: true });
    const asked: string[] = [];
    await assert.rejects(
      destination({ confirmHostKey: async (e) => (asked.push(e.fingerprint), false) }).check(),
      (err: Error) => err instanceof CancelledError,
    );
    assert.equal(existsSync(knownHosts()), false);
    await destination({ confirmHostKey: async (e) => (asked.push(e.fingerprint), true) }).check();
    assert.deepEqual(asked, [server.hostFingerprint, server.hostFingerprint]);
    const found = await run('ssh-keygen', ['-F', `[127.0.0.1]:${server.port}`, '-f', knownHosts()]);
    assert.match(found.stdout, /^\|1\|.* ssh-ed25519 /m);
    // Trusted once, it is not asked again.
    await destination({ confirmHostKey: async () => assert.fail('asked again for a trusted key') }).check();
  });

  it('copies a backup: streamed under a partial name, read back with the same sha256, then renamed; its manifest follows', async () => {
    await trustServer();
    const { path, bytes } = await backupFile('sms_backup_20260101_020000.sql.gz', 8);
    const final = join(server.remote, 'database', 'sms_backup_20260101_020000.sql.gz');
    const phases = new Set<string>();
    const result = await copyOffsite(path, destination(), {
      requireEncryption: false,
      progress: (u) => {
        if (!u.bytes) return;
        phases.add(u.phase.split(' ')[0]);
        assert.equal(existsSync(final), false, `the final name was visible during "${u.phase}"`);
      },
    });
    assert.equal(result.outcome, 'copied');
    assert.equal(result.sha256, sha(bytes));
    assert.deepEqual([...phases], ['Copying', 'Checking']);
    assert.deepEqual(await remoteNames(), ['sms_backup_20260101_020000.sql.gz', 'sms_backup_20260101_020000.sql.gz.json']);
    assert.equal(sha(await fs.readFile(final)), sha(bytes));
    assert.equal((await fs.stat(final)).mode & 0o777, 0o600);
    const manifest = JSON.parse(await fs.readFile(`${final}.json`, 'utf8')) as Manifest;
    assert.equal(manifest.file.sha256, sha(bytes));
    const copies = await offsiteCopies(destination());
    assert.deepEqual(
      [...copies.entries()],
      [['sms_backup_20260101_020000.sql.gz', { remotePath: `database/sms_backup_20260101_020000.sql.gz`, bytes: bytes.length }]],
    );
    // OpenSSH's own client reads the same bytes back.
    const fetched = join(server.dir, 'fetched.sql.gz');
    await run('sftp', [
      '-q',
      '-i',
      server.clientKey,
      '-o',
      `UserKnownHostsFile=${knownHosts()}`,
      '-o',
      'BatchMode=yes',
      '-P',
      String(server.port),
      `${server.user}@127.0.0.1:${final}`,
      fetched,
    ]);
    assert.equal(sha(await fs.readFile(fetched)), sha(bytes));
  });

  it('a second copy of the same backup is not sent again', async () => {
    await trustServer();
    const path = join(local, 'sms_backup_20260101_020000.sql.gz');
    const final = join(server.remote, 'database', 'sms_backup_20260101_020000.sql.gz');
    const before = (await fs.stat(final)).mtimeMs;
    let sent = 0;
    const again = await copyOffsite(path, destination(), {
      requireEncryption: false,
      progress: (u) => (sent = Math.max(sent, u.bytes ?? 0)),
    });
    assert.equal(again.outcome, 'skipped');
    assert.equal(sent, 0);
    assert.equal((await fs.stat(final)).mtimeMs, before);
  });

  it('a cancel mid-copy leaves neither a partial nor the final name on the server', async () => {
    await trustServer();
    const { path } = await backupFile('sms_backup_20260102_020000.sql.gz', 30);
    const before = await remoteNames();
    const controller = new AbortController();
    const err = await copyOffsite(path, destination(), {
      requireEncryption: false,
      signal: controller.signal,
      progress: (u) => {
        if ((u.bytes ?? 0) > 4 * 1024 * 1024) controller.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CancelledError, String(err));
    assert.deepEqual(await remoteNames(), before);
  });

  it('the server going down mid-copy: a clear error, nothing under the final name, and the next run completes the copy', async () => {
    await trustServer();
    // Large enough that the copy is still sending when the server's processes are gone: finding
    // and killing them takes a few `ps` runs, slow on a busy machine.
    const { path, bytes } = await backupFile('sms_backup_20260104_020000.sql.gz', 120);
    const final = join(server.remote, 'database', 'sms_backup_20260104_020000.sql.gz');
    let dropped: Promise<number> | undefined;
    const err = await refusal(
      copyOffsite(path, destination(), {
        requireEncryption: false,
        progress: (u) => {
          if ((u.bytes ?? 0) > 2 * 1024 * 1024) dropped ??= server.dropConnections();
        },
      }),
    );
    assert.ok(((await dropped) ?? 0) > 0, 'no server process was there to stop');
    assert.match(err.message, /copy of "sms_backup_20260104_020000\.sql\.gz"/);
    assert.match(err.message, /at the SFTP folder sftp:\/\/.*: the connection to the server was lost/);
    assert.equal(existsSync(final), false);
    const leftThen = (await remoteNames()).filter((n) => n.includes('20260104'));
    const again = await copyOffsite(path, destination(), { requireEncryption: false });
    assert.equal(again.outcome, 'copied');
    assert.equal(sha(await fs.readFile(final)), sha(bytes));
    assert.deepEqual(
      (await remoteNames()).filter((n) => n.includes('20260104')),
      ['sms_backup_20260104_020000.sql.gz', 'sms_backup_20260104_020000.sql.gz.json'],
    );
    recordFault({
      operation: 'off-site copy (SFTP)',
      fault: "the server's processes for the connection killed mid-upload (over 2 MB sent)",
      userSees: anonymous(shown(err)),
      leftOnDisk: `on the server: ${leftThen.join(', ') || 'nothing'} (the next run replaced it and completed the copy); the local backup unchanged`,
      dataLost: sha(await fs.readFile(path)) !== sha(bytes),
    });
  });

  it('lists, stats and removes as the Destination contract says, over one shared login', async () => {
    await trustServer();
    const dest = destination();
    // Overlapping requests share the connection.
    const [names, missing, folder, root] = await Promise.all([
      dest.list('database'),
      dest.list('volumes'),
      dest.stat('database'),
      dest.list(''),
    ]);
    assert.ok(names.some((e) => e.path === 'database/sms_backup_20260101_020000.sql.gz' && e.bytes > 0 && e.modified instanceof Date));
    assert.ok(!names.some((e) => e.path.includes('.partial')));
    assert.deepEqual(missing, []);
    assert.equal(folder, undefined, 'a folder is not an object');
    assert.deepEqual(root, []);
    await dest.remove('database/not-there.sql.gz');
    await fs.writeFile(join(server.remote, 'database', 'gone.txt'), 'x');
    if (process.getuid?.() === 0) await run('chown', [`${server.user}:`, join(server.remote, 'database', 'gone.txt')]);
    await dest.remove('database/gone.txt');
    assert.equal(existsSync(join(server.remote, 'database', 'gone.txt')), false);
    await assert.rejects(dest.stat('../etc/passwd'), /leaves the destination folder/);
    await fs.writeFile(join(server.remote, 'plain-file'), 'x');
    // A file at the top is listed by its bare name.
    assert.deepEqual(
      (await dest.list('')).map((e) => [e.path, e.bytes]),
      [['plain-file', 1]],
    );
    const notFolder = await refusal(destination({}, join(server.remote, 'plain-file')).check());
    assert.match(notFolder.message, /plain-file on the SFTP server 127\.0\.0\.1 is not a folder/);
  });

  it('the command line: an unknown host key is refused with its fingerprint and the ssh-keyscan command; once trusted, offsite list reads the server', async () => {
    const folder = join(server.dir, 'cli-project');
    await fs.mkdir(join(folder, '.vscode'), { recursive: true });
    await fs.writeFile(
      join(folder, '.vscode', 'settings.json'),
      JSON.stringify({ 'lifeboat.offsite.destination': url(), 'lifeboat.backupDirectory': join(server.dir, 'new-machine') }),
    );
    const cli = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          process.execPath,
          [join(REPO, 'dist', 'cli.js'), ...args, '--folder', folder],
          { env: { ...process.env } },
          (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code) : 0, out: `${stdout}${stderr}` }),
        ),
      );
    await fs.rm(knownHosts(), { force: true });
    const refused = await cli(['offsite', 'list']);
    assert.notEqual(refused.code, 0, refused.out);
    assert.ok(refused.out.includes(server.hostFingerprint), refused.out);
    assert.match(refused.out, new RegExp(`ssh-keyscan -p ${server.port} 127\\.0\\.0\\.1 >> ~/\\.ssh/known_hosts`));
    assert.equal(existsSync(knownHosts()), false);
    await trustServer();
    const listed = await cli(['offsite', 'list']);
    assert.equal(listed.code, 0, listed.out);
    assert.match(listed.out, /database\/sms_backup_20260101_020000\.sql\.gz/);
    // A new machine's first step: the copy comes back, checked against the manifest beside it.
    const pulled = await cli(['offsite', 'pull', 'database/sms_backup_20260101_020000.sql.gz']);
    assert.equal(pulled.code, 0, pulled.out);
    assert.match(pulled.out, /PULLED .*\(matches its manifest\)/);
    const back = join(server.dir, 'new-machine', 'database', 'sms_backup_20260101_020000.sql.gz');
    assert.equal(
      sha(await fs.readFile(back)),
      sha(await fs.readFile(join(server.remote, 'database', 'sms_backup_20260101_020000.sql.gz'))),
    );
  });

  it('a changed host key is refused with a warning and never offered for trust', async () => {
    const impostor = (await keygen(join(server.dir, 'impostor'))).split(' ').slice(0, 2).join(' ');
    await fs.writeFile(knownHosts(), `[127.0.0.1]:${server.port} ${impostor}\n`);
    const err = await refusal(destination({ confirmHostKey: async () => assert.fail('a changed key was offered for trust') }).check());
    assert.ok(err instanceof HostKeyError && err.reason === 'changed', String(err));
    assert.match(err.message, /has CHANGED/);
    assert.ok(err.message.includes(server.hostFingerprint));
    assert.match(err.hint ?? '', /ssh-keygen -R/);
    assert.equal(await fs.readFile(knownHosts(), 'utf8'), `[127.0.0.1]:${server.port} ${impostor}\n`);
    recordFault({
      operation: 'off-site copy (SFTP)',
      fault: 'the server offers a host key other than the one in known_hosts',
      userSees: anonymous(shown(err)),
      leftOnDisk: 'nothing: no connection was made; known_hosts unchanged',
      dataLost: false,
    });
  });

  it('a key the server does not accept is refused, naming the user, the key and what to do', async () => {
    await trustServer();
    const other = await keygen(join(server.dir, 'someone-else'));
    await server.authorize([other]);
    try {
      const err = await refusal(destination().check());
      assert.match(
        err.message,
        new RegExp(`refused the login of "${server.user}" with the key ${server.clientKey.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`),
      );
      assert.match(err.hint ?? '', /authorized_keys/);
    } finally {
      await server.authorize([(await fs.readFile(`${server.clientKey}.pub`, 'utf8')).trim()]);
    }
  });

  it('ssh-agent alone logs in; an agent without the key the server wants is refused, naming the agent', async () => {
    await trustServer();
    const socket = join(server.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
      const home = join(server.dir, 'keyless-home');
      await fs.mkdir(join(home, '.ssh'), { recursive: true });
      await fs.copyFile(knownHosts(), join(home, '.ssh', 'known_hosts'));
      process.env.HOME = home;
      const empty = await refusal(destination({ agent: socket }).check());
      assert.match(empty.message, new RegExp(`refused the login of "${server.user}" with the keys in ssh-agent`));
      await run('ssh-add', ['-q', server.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      process.env.SSH_AUTH_SOCK = socket;
      await destination().check();
    } finally {
      delete process.env.SSH_AUTH_SOCK;
      process.env.HOME = server.home;
      agent.kill('SIGTERM');
    }
  });

  it('a server that accepts the connection but never answers: refused after the time allowed, not waited on forever', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const started = Date.now();
      const err = await refusal((parseDestination(url(server.remote, port), { sftp: { timeoutMs: 1000 } }) as SftpDestination).check());
      assert.match(err.message, /Cannot reach the SFTP server 127\.0\.0\.1:\d+ .*: no answer in time\./);
      assert.ok(Date.now() - started < 10_000);
    } finally {
      silent.close();
    }
  });

  it('a passphrase-protected key: refused with the ssh-agent way out when it cannot be asked; opened when it can, then reported as working', async () => {
    await trustServer();
    const keyFile = join(server.dir, 'locked_ed25519');
    const pub = await keygen(keyFile, 'correct horse');
    await server.authorize([pub]);
    try {
      const err = await refusal(destination({ identityFile: keyFile }).check());
      assert.match(err.message, /is protected by a passphrase/);
      assert.match(err.hint ?? '', /ssh-add/);
      const typed: string[] = [];
      const worked: string[] = [];
      await destination({
        identityFile: keyFile,
        askPassphrase: async (_file, again) => (typed.push(String(again)), again ? 'correct horse' : 'wrong'),
        passphraseWorked: async (file, passphrase) => void worked.push(`${file}:${passphrase}`),
      }).check();
      assert.deepEqual(typed, ['false', 'true']);
      assert.deepEqual(worked, [`${keyFile}:correct horse`]);
    } finally {
      await server.authorize([(await fs.readFile(`${server.clientKey}.pub`, 'utf8')).trim()]);
    }
  });

  it('a folder that does not exist, a server that is not there and a folder without write permission each say so', async () => {
    await trustServer();
    const missing = await refusal(destination({}, join(server.remote, 'not-there')).check());
    assert.match(missing.message, /not-there does not exist on the SFTP server 127\.0\.0\.1/);
    assert.equal(existsSync(join(server.remote, 'not-there')), false);

    // A port that was free a moment ago: nothing listens there.
    const closed = await freePort();
    const unreachable = await refusal((parseDestination(url(server.remote, closed)) as SftpDestination).check());
    assert.match(unreachable.message, /Cannot reach the SFTP server 127\.0\.0\.1:\d+ .*nothing is listening there \(ECONNREFUSED\)/);

    const locked = join(server.remote, 'read-only');
    await fs.mkdir(join(locked, 'database'), { recursive: true });
    if (process.getuid?.() === 0) await run('chown', ['-R', `${server.user}:`, locked]);
    await fs.chmod(join(locked, 'database'), 0o555);
    const { path } = await backupFile('sms_backup_20260103_020000.sql.gz', 1);
    const denied = await refusal(copyOffsite(path, destination({}, locked), { requireEncryption: false }));
    assert.match(
      denied.message,
      /permission denied for ".+" at .*read-only\/database\/\.sms_backup_20260103_020000\.sql\.gz\.partial on the SFTP server/,
    );
    assert.deepEqual(await fs.readdir(join(locked, 'database')), []);

    // A copy that is not there, and a folder its user may not list, each say which and where.
    const gone = await refusal(destination().read('database/sms_backup_20260109_020000.sql.gz'));
    assert.match(
      gone.message,
      /^Cannot read the off-site copy: .*\/database\/sms_backup_20260109_020000\.sql\.gz does not exist on the SFTP server 127\.0\.0\.1\.$/,
    );
    await fs.chmod(join(locked, 'database'), 0o000);
    const unlisted = await refusal(destination({}, locked).list('database'));
    assert.match(
      unlisted.message,
      /^Cannot list the off-site folder: permission denied for ".+" at .*read-only\/database on the SFTP server 127\.0\.0\.1\.$/,
    );
    // Behind a folder its user may not enter, a stat and a remove are refused, not taken for "not there".
    const unstated = await refusal(destination({}, locked).stat('database/sms_backup_20260103_020000.sql.gz'));
    assert.match(
      unstated.message,
      /^Cannot read the off-site folder: permission denied for ".+" at .*read-only\/database\/sms_backup_20260103_020000\.sql\.gz on the SFTP server 127\.0\.0\.1\.$/,
    );
    const unremoved = await refusal(destination({}, locked).remove('database/sms_backup_20260103_020000.sql.gz'));
    assert.match(
      unremoved.message,
      /^Cannot remove the off-site copy: permission denied for ".+" at .*read-only\/database\/sms_backup_20260103_020000\.sql\.gz on the SFTP server 127\.0\.0\.1\.$/,
    );
  });

  it('a file where a folder must go, and an SSH server without SFTP, each say what the server answered', async () => {
    await trustServer();
    const top = join(server.remote, 'file-in-the-way');
    await fs.mkdir(top);
    await fs.writeFile(join(top, 'database'), 'not a folder');
    if (process.getuid?.() === 0) await run('chown', ['-R', `${server.user}:`, top]);
    const blocked = await refusal(destination({}, top).write('database/sms_backup_20260110_020000.sql.gz'));
    assert.match(
      blocked.message,
      /^Cannot create the off-site folder .*file-in-the-way\/database on the SFTP server 127\.0\.0\.1: a file of that name is in the way\.$/,
    );
    assert.equal(await fs.readFile(join(top, 'database'), 'utf8'), 'not a folder');

    // An answer that is neither "permission denied" nor "no such file" (removing a folder as if
    // it were a copy: the server's bare "Failure") is said with the server's words and a way on.
    await fs.mkdir(join(top, 'config', 'a-folder'), { recursive: true });
    await fs.writeFile(join(top, 'config', 'a-folder', 'x'), 'x');
    if (process.getuid?.() === 0) await run('chown', ['-R', `${server.user}:`, join(top, 'config')]);
    const failed = await refusal(destination({}, top).remove('config/a-folder'));
    assert.match(
      failed.message,
      /^Cannot remove the off-site copy \(.*file-in-the-way\/config\/a-folder on the SFTP server 127\.0\.0\.1\): .+\.$/,
    );
    assert.match(failed.hint ?? '', /reachable/);
    assert.ok((await fs.stat(join(top, 'config', 'a-folder', 'x'))).isFile(), 'nothing was removed');

    const plain = await startSftpServer({ sftp: false });
    try {
      await fs.appendFile(knownHosts(), `${plain.hostKeyLine}\n`);
      const noSftp = await refusal(
        (
          parseDestination(`sftp://${plain.user}@127.0.0.1:${plain.port}${plain.remote}`, {
            sftp: { identityFile: join(plain.home, '.ssh', 'id_ed25519') },
          }) as SftpDestination
        ).check(),
      );
      assert.match(
        noSftp.message,
        new RegExp(
          `^The SSH server 127\\.0\\.0\\.1:${plain.port} let "${plain.user}" log in but offers no SFTP \\(.*\\): Unable to start subsystem: sftp\\.$`,
        ),
      );
    } finally {
      await plain.stop();
    }
  });
});
