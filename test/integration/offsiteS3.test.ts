import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CancelledError, Logger } from '../../src/core/common';
import { S3Destination, copyOffsite, offsiteCopies, parseDestination, readRemoteManifest } from '../../src/core/offsite';
import { MANIFEST_VERSION, writeManifest } from '../../src/core/store';
import { startS3Proxy } from '../support/s3Proxy';
import { S3TestServer, freePort, motoServerPath, startMotoS3 } from '../support/s3Server';
import { recordFault, shown } from './faultMatrix';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const BUCKET = 'sms-backups';
const MiB = 1024 * 1024;

/** A dump-shaped gzip of random (so incompressible) rows, with a manifest as Lifeboat writes one. */
async function makeBackup(dir: string, name: string, rawBytes: number): Promise<{ path: string; data: Buffer }> {
  const data = gzipSync(
    Buffer.concat([
      Buffer.from('-- PostgreSQL database dump\nCOPY public.t (x) FROM stdin;\n'),
      randomBytes(rawBytes),
      Buffer.from('\n\\.\n-- PostgreSQL database dump complete\n'),
    ]),
    { level: 1 },
  );
  const path = join(dir, name);
  await fs.writeFile(path, data);
  await writeManifest(path, {
    formatVersion: MANIFEST_VERSION,
    kind: 'database',
    createdAt: new Date().toISOString(),
    tool: { name: 'lifeboat', version: 'test' },
    source: {},
    compression: { format: 'gzip', level: 1 },
    file: { name, bytes: data.length, sha256: sha(data) },
    verifications: [],
  });
  return { path, data };
}

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function keysUnder(server: S3TestServer, prefix: string): Promise<string[]> {
  const r = await server.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix || undefined }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function openUploads(server: S3TestServer): Promise<string[]> {
  const r = await server.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
  return (r.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
}

/** A logger that keeps what it was told, to see which proof a copy got. */
function keptLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m), tool: () => undefined };
}

const PROVEN = /proven by the storage's own SHA256 checksums/;
const READ_BACK = /read back and checked/;

/**
 * moto and the AWS CLI come with the machine image's Python, not from npm or Debian, so a machine
 * without them skips these tests, loudly: the run's total counts them as skipped.
 */
function skipWithoutTool(ctx: Mocha.Context, why: string): void {
  console.log(`    (${why}: skipped${process.env.CI ? '; CI could not run the S3 tests' : ''})`);
  ctx.skip();
}

describe('off-site copies to S3-compatible storage (moto_server on 127.0.0.1)', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let root: string;
  let local: string;
  const made: S3Destination[] = [];
  const dest = (prefix: string, extra: Partial<ConstructorParameters<typeof S3Destination>[1]> = {}) => {
    const d = new S3Destination(
      { bucket: BUCKET, prefix },
      { endpoint: server.endpoint, forcePathStyle: true, credentials: server.allowed, partSize: 5 * MiB, ...extra },
    );
    made.push(d);
    return d;
  };

  before(async function () {
    if (!motoServerPath()) return skipWithoutTool(this, 'moto_server is not installed');
    server = await startMotoS3([BUCKET], false);
    root = await fs.mkdtemp(join(tmpdir(), 'lb-offsite-s3-'));
    local = join(root, 'backups', 'database');
    await fs.mkdir(local, { recursive: true });
  });
  after(async () => {
    for (const d of made) await d.close();
    await server?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it("copies a backup of several MB by multipart upload, proven by the server's SHA256 checksums, then skips it when sent again", async () => {
    const backup = await makeBackup(local, 'sms_backup_20260301_020000.sql.gz', 13 * MiB);
    const d = dest('sms');
    const phases = new Set<string>();
    const log = keptLog();
    const result = await copyOffsite(backup.path, d, {
      requireEncryption: false,
      logger: log,
      progress: (p) => phases.add(p.phase.split(' ')[0]),
    });
    assert.equal(result.outcome, 'copied');
    assert.equal(result.remotePath, 'database/sms_backup_20260301_020000.sql.gz');
    assert.equal(result.sha256, sha(backup.data));
    assert.deepEqual([...phases], ['Copying', 'Checking'], 'the copy was checked before it counted');
    assert.match(log.lines.join('\n'), PROVEN);
    assert.equal(result.checkedBy, 'checksums');
    // The server keeps the composite checksum it computed from the stored parts (3 parts of 5 MiB at most).
    const head = await server.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'sms/database/sms_backup_20260301_020000.sql.gz', ChecksumMode: 'ENABLED' }),
    );
    assert.ok(head.ChecksumSHA256, 'the object has a SHA256 checksum on the server');

    // What the server holds, read with a client of the test's own: the whole file, under the runbook's layout.
    const got = await server.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sms/database/sms_backup_20260301_020000.sql.gz' }));
    assert.equal(sha(await bytesOf(got.Body as Readable)), sha(backup.data));
    // More than two 5 MiB parts (the cancel test below sees the multipart upload open on the server).
    assert.ok(backup.data.length > 10 * MiB);
    assert.deepEqual(await keysUnder(server, 'sms/'), [
      'sms/database/sms_backup_20260301_020000.sql.gz',
      'sms/database/sms_backup_20260301_020000.sql.gz.json',
    ]);
    assert.deepEqual(await openUploads(server), []);
    const manifest = await readRemoteManifest(d, 'database/sms_backup_20260301_020000.sql.gz.json');
    assert.equal(manifest?.file.sha256, sha(backup.data));
    assert.equal(manifest?.file.bytes, backup.data.length);

    const again = await copyOffsite(backup.path, d, { requireEncryption: false });
    assert.equal(again.outcome, 'skipped');
    assert.ok((await offsiteCopies(d)).has('sms_backup_20260301_020000.sql.gz'));
  });

  it('a cancel in the middle of the upload leaves no object and no multipart upload (parts are not left stored)', async () => {
    const backup = await makeBackup(local, 'sms_backup_20260302_020000.sql.gz', 48 * MiB);
    const d = dest('cancel');
    const ac = new AbortController();
    let sawUpload: string[] = [];
    let asked = false;
    const err = await copyOffsite(backup.path, d, {
      requireEncryption: false,
      signal: ac.signal,
      progress: (p) => {
        // Cancel once the server holds an open multipart upload of this copy, as a user would mid-way.
        if (asked || (p.bytes ?? 0) < 12 * MiB) return;
        asked = true;
        const poll = async () => {
          for (let i = 0; i < 200 && !ac.signal.aborted; i++) {
            sawUpload = await openUploads(server);
            if (sawUpload.length) return ac.abort();
            await new Promise((r) => setTimeout(r, 20));
          }
        };
        void poll();
      },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err instanceof CancelledError, `cancelled, not ${err}`);
    assert.equal(sawUpload.length, 1, 'an upload was open on the server when the cancel came');
    // Straight to the final key: a multipart upload is invisible until completed.
    assert.match(sawUpload[0], /^cancel\/database\/sms_backup_20260302_020000\.sql\.gz /);
    assert.deepEqual(await openUploads(server), [], 'the multipart upload was aborted');
    assert.deepEqual(await keysUnder(server, 'cancel/'), [], 'nothing under the final name, nor staged');
    recordFault({
      operation: 'off-site copy (S3)',
      fault: 'cancelled during the multipart upload',
      userSees: 'nothing (a cancel is silent)',
      leftOnDisk: 'at the bucket: no object and no open multipart upload; the local backup unchanged',
      dataLost: sha(await fs.readFile(backup.path)) !== sha(backup.data),
    });
  });

  it('the server stops in the middle of the upload: a clear error that the copy is still to make, the local backup unchanged', async () => {
    const own = await startMotoS3([BUCKET], false);
    const backup = await makeBackup(local, 'sms_backup_20260309_020000.sql.gz', 40 * MiB);
    const d = new S3Destination(
      { bucket: BUCKET, prefix: 'stopped' },
      { endpoint: own.endpoint, forcePathStyle: true, credentials: own.allowed, partSize: 5 * MiB },
    );
    made.push(d);
    let stopping: Promise<void> | undefined;
    let saw = '';
    try {
      await assert.rejects(
        copyOffsite(backup.path, d, {
          requireEncryption: false,
          progress: (p) => {
            if (!stopping && (p.bytes ?? 0) > 12 * MiB) stopping = own.stop();
          },
        }),
        (err: Error & { hint?: string }) => {
          saw = shown(err);
          assert.match(
            err.message,
            /Cannot reach the S3 storage at http:\/\/127\.0\.0\.1:\d+ \(E[A-Z]+\).*The local backup is unchanged; the copy is still to make\./,
          );
          assert.match(err.hint ?? '', /Check that the server is running/);
          return true;
        },
      );
    } finally {
      await (stopping ?? own.stop());
    }
    assert.ok(stopping, 'the server was stopped during the copy');
    recordFault({
      operation: 'off-site copy (S3)',
      fault: 'the S3 server stops in the middle of the multipart upload',
      userSees: saw.replace(/http:\/\/127\.0\.0\.1:\d+/g, '<endpoint>'),
      leftOnDisk: 'the local backup unchanged (the server and what it held are gone)',
      dataLost: sha(await fs.readFile(backup.path)) !== sha(backup.data),
    });
  });

  it('an upload a killed run left open on the same key is aborted by the next copy, which completes', async () => {
    const backup = await makeBackup(local, 'sms_backup_20260303_020000.sql.gz', 1 * MiB);
    const d = dest('stale');
    // What a window killed mid-upload leaves: a multipart upload with a part stored.
    const pending = await d.write('database/sms_backup_20260303_020000.sql.gz');
    pending.stream.write(randomBytes(6 * MiB));
    for (let i = 0; i < 100 && !(await openUploads(server)).length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await openUploads(server)).length, 1);
    const result = await copyOffsite(backup.path, dest('stale'), { requireEncryption: false });
    assert.equal(result.outcome, 'copied');
    assert.deepEqual(await openUploads(server), []);
    pending.stream.destroy();
    await pending.abort();
    assert.deepEqual(await keysUnder(server, 'stale/'), [
      'stale/database/sms_backup_20260303_020000.sql.gz',
      'stale/database/sms_backup_20260303_020000.sql.gz.json',
    ]);
  });

  it('an object over the copy limit is put in place by a multipart copy, still whole and checked', async () => {
    const backup = await makeBackup(local, 'sms_backup_20260304_020000.sql.gz', 12 * MiB);
    // The staged way (read back, copied into place) is the one that copies on the server.
    const d = dest('bigcopy', { copyLimit: 5 * MiB, serverChecksums: false });
    const result = await copyOffsite(backup.path, d, { requireEncryption: false });
    const got = await server.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'bigcopy/database/sms_backup_20260304_020000.sql.gz' }),
    );
    assert.equal(sha(await bytesOf(got.Body as Readable)), result.sha256);
    assert.equal(result.sha256, sha(backup.data));
    assert.deepEqual(await openUploads(server), []);
  });

  it('the rest of the Destination contract: a bucket without prefix, missing objects and buckets, a path that leaves the prefix', async () => {
    const bare = dest('');
    const pending = await bare.write('notes.txt');
    await new Promise<void>((resolve, reject) => pending.stream.end(Buffer.from('top level\n'), () => resolve()).once('error', reject));
    assert.equal((await bytesOf(await pending.readBack())).toString(), 'top level\n');
    await pending.commit();
    await pending.abort(); // After a commit it changes nothing.
    assert.equal((await bare.stat('notes.txt'))?.bytes, 10);
    assert.ok((await bare.list('')).some((e) => e.path === 'notes.txt'));
    await assert.rejects(
      bare.read('database/none.sql.gz'),
      /Cannot download "database\/none\.sql\.gz" at s3:\/\/sms-backups at .*NoSuchKey/,
    );
    await bare.remove('database/none.sql.gz');
    await bare.remove('notes.txt');
    assert.equal(await bare.stat('notes.txt'), undefined);
    await assert.rejects(bare.write('../outside.txt'), /leaves the destination's prefix/);

    const gone = new S3Destination(
      { bucket: 'no-such-bucket', prefix: 'sms' },
      { endpoint: server.endpoint, forcePathStyle: true, credentials: server.allowed },
    );
    made.push(gone);
    await assert.rejects(gone.list('database'), /The bucket "no-such-bucket" does not exist/);
    const goneRoot = new S3Destination(
      { bucket: 'no-such-bucket', prefix: '' },
      { endpoint: server.endpoint, forcePathStyle: true, credentials: server.allowed },
    );
    made.push(goneRoot);
    await assert.rejects(goneRoot.list(''), /could not list "\/" in the bucket "no-such-bucket"/);
    await assert.rejects(gone.remove('database/x.sql.gz'), /The bucket "no-such-bucket" does not exist/);
    await assert.rejects(gone.write('database/x.sql.gz'), /The bucket "no-such-bucket" does not exist/);
  });

  it('lists what a plain PutObject put under database/ (as `aws s3 cp` does), page after page, without staged uploads', async () => {
    const d = dest('layout', { pageSize: 2 });
    const names = ['sms_backup_20260101_020000.sql.gz', 'sms_backup_20260102_020000.sql.gz', 'sms_backup_20260103_020000.sql.gz'];
    for (const n of names) {
      await server.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `layout/database/${n}`, Body: gzipSync('-- dump\n') }));
    }
    await server.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'layout/database/.sms_backup_20260104_020000.sql.gz.partial', Body: 'x' }),
    );
    await server.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'layout/database/deeper/sms_backup_20260105_020000.sql.gz', Body: 'x' }),
    );
    const listed = await d.list('database');
    assert.deepEqual(
      listed.map((e) => e.path).sort(),
      names.map((n) => `database/${n}`),
    );
    assert.ok(listed.every((e) => e.bytes > 0 && e.modified instanceof Date));
    assert.deepEqual(await d.list(''), [], 'only folders at the top of the prefix');
    assert.deepEqual(await d.stat('database/nothing-here.sql.gz'), undefined);
    await d.remove('database/nothing-here.sql.gz');
    await d.remove(`database/${names[0]}`);
    assert.equal(await d.stat(`database/${names[0]}`), undefined);
  });

  it('the command line (dist/cli.js with dist/offsiteS3.js) copies, lists and pulls with keys from the environment, then exits', async function () {
    const cli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    if (!existsSync(join(__dirname, '..', '..', '..', 'dist', 'offsiteS3.js')))
      return skipWithoutTool(this, 'dist/offsiteS3.js is not built');
    const folder = join(root, 'cli-project');
    const backups = join(folder, 'backups', 'database');
    await fs.mkdir(join(folder, '.vscode'), { recursive: true });
    await fs.mkdir(backups, { recursive: true });
    await fs.writeFile(
      join(folder, '.vscode', 'settings.json'),
      JSON.stringify({
        'lifeboat.offsite.destination': `s3://${BUCKET}/cli`,
        'lifeboat.offsite.s3.endpoint': server.endpoint,
        'lifeboat.offsite.s3.forcePathStyle': true,
        'lifeboat.offsite.requireEncryption': false,
      }),
    );
    const backup = await makeBackup(backups, 'sms_backup_20260310_020000.sql.gz', 6 * MiB);
    const env = {
      PATH: process.env.PATH,
      HOME: root,
      AWS_ACCESS_KEY_ID: server.allowed.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.allowed.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const run = (args: string[]) =>
      execFileSync(process.execPath, [cli, ...args, '--folder', folder], { env, encoding: 'utf8', timeout: 60_000 });
    assert.match(
      run(['offsite', 'copy', backup.path]),
      /COPIED\s+sms_backup_20260310_020000\.sql\.gz → database\/sms_backup_20260310_020000\.sql\.gz/,
    );
    assert.match(run(['offsite', 'list']), /database\/sms_backup_20260310_020000\.sql\.gz .*local \+ off-site/);
    await fs.rm(backup.path);
    await fs.rm(`${backup.path}.json`);
    run(['offsite', 'pull', 'database/sms_backup_20260310_020000.sql.gz']);
    assert.equal(sha(await fs.readFile(backup.path)), sha(backup.data));
  });

  it("the AWS CLI (the runbook's client) reads a copy Lifeboat made, and Lifeboat lists what `aws s3 cp` put", async function () {
    let aws: string;
    try {
      aws = execFileSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).trim();
    } catch {
      return skipWithoutTool(this, 'the AWS CLI (aws) is not installed');
    }
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: server.allowed.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.allowed.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const backup = await makeBackup(local, 'sms_backup_20260305_020000.sql.gz', 6 * MiB);
    await copyOffsite(backup.path, dest('interop'), { requireEncryption: false });
    const down = join(root, 'down.sql.gz');
    execFileSync(
      aws,
      ['--endpoint-url', server.endpoint, 's3', 'cp', `s3://${BUCKET}/interop/database/sms_backup_20260305_020000.sql.gz`, down],
      { env },
    );
    assert.equal(sha(await fs.readFile(down)), sha(backup.data));

    const theirs = await makeBackup(root, 'sms_backup_20260306_020000.sql.gz', 1000);
    execFileSync(aws, ['--endpoint-url', server.endpoint, 's3', 'cp', theirs.path, `s3://${BUCKET}/interop/database/`], { env });
    const listed = (await dest('interop').list('database')).map((e) => e.path);
    assert.ok(listed.includes('database/sms_backup_20260306_020000.sql.gz'), listed.join(', '));
  });

  it('a part corrupted on its way to the server: the copy is refused, nothing under the final name, no upload left', async () => {
    const proxy = await startS3Proxy(server.endpoint);
    try {
      // AWS, R2 and MinIO refuse such a part at once (its x-amz-checksum-sha256 does not match);
      // moto stores it, so here the server's composite checksum after completion gives it away.
      proxy.faults.corruptPart = 2;
      const backup = await makeBackup(local, 'sms_backup_20260310_020000.sql.gz', 13 * MiB);
      const d = dest('corrupt', { endpoint: proxy.endpoint });
      let saw = '';
      await assert.rejects(copyOffsite(backup.path, d, { requireEncryption: false }), (err: Error) => {
        saw = shown(err);
        assert.match(
          err.message,
          /holds "corrupt\/database\/sms_backup_20260310_020000\.sql\.gz" with .* SHA256 checksum .*It was removed\./,
        );
        return true;
      });
      assert.deepEqual(proxy.corrupted, [2], 'one part was flipped in flight');
      assert.deepEqual(await keysUnder(server, 'corrupt/'), [], 'no object and no manifest');
      assert.deepEqual(await openUploads(server), []);
      recordFault({
        operation: 'off-site copy (S3)',
        fault: 'a part is corrupted on its way to the server',
        userSees: saw,
        leftOnDisk: 'at the bucket: nothing under the final name, no manifest, no open upload; the local backup unchanged',
        dataLost: sha(await fs.readFile(backup.path)) !== sha(backup.data),
      });
    } finally {
      await proxy.stop();
    }
  });

  it('a server that gives no checksums: the copy goes to a hidden key, is read back, then put in place', async () => {
    const proxy = await startS3Proxy(server.endpoint);
    try {
      proxy.faults.stripChecksums = 'all';
      const backup = await makeBackup(local, 'sms_backup_20260311_020000.sql.gz', 13 * MiB);
      const log = keptLog();
      const result = await copyOffsite(backup.path, dest('nochecksum', { endpoint: proxy.endpoint }), {
        requireEncryption: false,
        logger: log,
      });
      assert.equal(result.sha256, sha(backup.data));
      assert.match(log.lines.join('\n'), READ_BACK);
      assert.equal(result.checkedBy, 'read back');
      // The data went to the hidden key; the final one got only the server-side copy (and the manifest its own).
      const puts = proxy.requests.filter((r) => r.startsWith('PUT ') && r.includes('sms_backup_20260311_020000.sql.gz'));
      assert.ok(puts.includes(`PUT /${BUCKET}/nochecksum/database/.sms_backup_20260311_020000.sql.gz.partial`), puts.join(', '));
      assert.equal(
        puts.filter((r) => r === `PUT /${BUCKET}/nochecksum/database/sms_backup_20260311_020000.sql.gz`).length,
        1,
        puts.join(', '),
      );
      assert.deepEqual(await keysUnder(server, 'nochecksum/'), [
        'nochecksum/database/sms_backup_20260311_020000.sql.gz',
        'nochecksum/database/sms_backup_20260311_020000.sql.gz.json',
      ]);
      assert.deepEqual(await openUploads(server), []);
    } finally {
      await proxy.stop();
    }
  });

  it('checksums taken but none given back after completion: the completed object is read back before it counts', async () => {
    const proxy = await startS3Proxy(server.endpoint);
    try {
      proxy.faults.stripChecksums = 'head';
      const backup = await makeBackup(local, 'sms_backup_20260312_020000.sql.gz', 13 * MiB);
      const log = keptLog();
      const result = await copyOffsite(backup.path, dest('nohead', { endpoint: proxy.endpoint }), {
        requireEncryption: false,
        logger: log,
      });
      assert.equal(result.sha256, sha(backup.data));
      assert.match(log.lines.join('\n'), READ_BACK);
      assert.equal(result.checkedBy, 'read back');
      const got = await server.client.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'nohead/database/sms_backup_20260312_020000.sql.gz' }),
      );
      assert.equal(sha(await bytesOf(got.Body as Readable)), sha(backup.data));
    } finally {
      await proxy.stop();
    }
  });

  it('an object that ends exactly on a part boundary: the last full part is the last one, the direct way and the staged way', async () => {
    const data = randomBytes(10 * MiB);
    for (const [prefix, extra, proven] of [
      ['boundary-direct', {}, true],
      ['boundary-staged', { serverChecksums: false }, false],
    ] as const) {
      const pending = await dest(prefix, extra).write('database/exact.bin');
      await new Promise<void>((resolve, reject) => pending.stream.end(data, () => resolve()).once('error', reject));
      assert.equal(await pending.commitProven!({ bytes: data.length, sha256: sha(data) }), proven);
      if (!proven) assert.equal(sha(await bytesOf(await pending.readBack())), sha(data));
      await pending.commit();
      const got = await server.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/database/exact.bin` }));
      assert.equal(sha(await bytesOf(got.Body as Readable)), sha(data), `${prefix}: the object holds the 10 MiB sent, no empty part more`);
      assert.deepEqual(await keysUnder(server, `${prefix}/`), [`${prefix}/database/exact.bin`]);
    }
    assert.deepEqual(await openUploads(server), []);
  });

  it('an object already under the final name is replaced only once the new bytes were read back from a hidden key', async () => {
    const key = 'replace/database/sms_backup_20260313_020000.sql.gz';
    await server.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'an older, different file' }));
    const backup = await makeBackup(local, 'sms_backup_20260313_020000.sql.gz', 7 * MiB);
    const log = keptLog();
    const result = await copyOffsite(backup.path, dest('replace'), { requireEncryption: false, logger: log });
    assert.equal(result.outcome, 'copied');
    assert.match(log.lines.join('\n'), READ_BACK);
    const got = await server.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(sha(await bytesOf(got.Body as Readable)), sha(backup.data));
    assert.deepEqual(await keysUnder(server, 'replace/'), [key, `${key}.json`]);
  });
});

describe('S3 destinations that cannot be used: a clear error, and nothing sent (moto_server checking SigV4)', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let root: string;
  const made: S3Destination[] = [];
  /** No prefix: see startMotoS3 on the queries this server can check. */
  const dest = (extra: Partial<ConstructorParameters<typeof S3Destination>[1]> = {}, bucket = BUCKET) => {
    const d = new S3Destination(
      { bucket, prefix: '' },
      { endpoint: server.endpoint, forcePathStyle: true, credentials: server.allowed, ...extra },
    );
    made.push(d);
    return d;
  };

  before(async function () {
    if (!motoServerPath()) return skipWithoutTool(this, 'moto_server is not installed');
    server = await startMotoS3([BUCKET], true);
    root = await fs.mkdtemp(join(tmpdir(), 'lb-offsite-s3-errors-'));
  });
  after(async () => {
    for (const d of made) await d.close();
    await server?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const expectRefusal = async (d: S3Destination, fault: string, pattern: RegExp, hint: RegExp) => {
    const backup = await makeBackup(root, 'sms_backup_20260308_020000.sql.gz', 1000);
    let saw = '';
    await assert.rejects(copyOffsite(backup.path, d, { requireEncryption: false }), (err: Error & { hint?: string }) => {
      saw = shown(err);
      assert.match(err.message, pattern);
      assert.match(err.hint ?? '', hint);
      return true;
    });
    recordFault({
      operation: 'off-site copy (S3)',
      fault,
      userSees: saw.replace(/http:\/\/127\.0\.0\.1:\d+/g, '<endpoint>'),
      leftOnDisk: 'at the bucket: nothing; the local backup unchanged',
      dataLost: sha(await fs.readFile(backup.path)) !== sha(backup.data),
    });
    if (server) assert.deepEqual(await keysUnder(server, ''), [], 'nothing was sent');
  };

  it('the right keys pass the check', async () => {
    await dest().check();
  });

  it('a bucket that does not exist', async () => {
    await expectRefusal(
      dest({}, 'no-such-bucket'),
      'the bucket does not exist',
      /The bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+/,
      /Create the bucket/,
    );
  });

  it('a wrong secret key, and an access key the server does not know', async () => {
    await expectRefusal(
      dest({ credentials: { ...server.allowed, secretAccessKey: 'not-the-secret' } }),
      'a wrong secret key',
      /refused the credentials \(SignatureDoesNotMatch\)/,
      /Enter the access key and secret again/,
    );
    await expectRefusal(
      dest({ credentials: { accessKeyId: 'AKIANOTAKEY000000000', secretAccessKey: 'x' } }),
      'an unknown access key',
      /refused the credentials \(InvalidAccessKeyId\)/,
      /Enter the access key and secret again/,
    );
  });

  it('keys the server knows but that may not use the bucket: access denied', async () => {
    await expectRefusal(
      dest({ credentials: server.denied }),
      'keys without permission on the bucket',
      /Access denied to s3:\/\/sms-backups/,
      /s3:PutObject/,
    );
  });

  it('keys from a profile in ~/.aws/credentials (lifeboat.offsite.s3.profile), through parseDestination', async () => {
    const creds = join(root, 'credentials');
    await fs.writeFile(
      creds,
      `[default]\naws_access_key_id = ${server.denied.accessKeyId}\naws_secret_access_key = ${server.denied.secretAccessKey}\n\n` +
        `[backups]\naws_access_key_id = ${server.allowed.accessKeyId}\naws_secret_access_key = ${server.allowed.secretAccessKey}\n`,
      { mode: 0o600 },
    );
    const saved = { ...process.env };
    process.env.AWS_SHARED_CREDENTIALS_FILE = creds;
    process.env.AWS_CONFIG_FILE = join(root, 'no-config');
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
    try {
      const d = parseDestination(`s3://${BUCKET}`, { s3: { endpoint: server.endpoint, forcePathStyle: true, profile: 'backups' } });
      assert.ok(d instanceof S3Destination);
      made.push(d);
      await d.check();
      const asDefault = parseDestination(`s3://${BUCKET}`, { s3: { endpoint: server.endpoint, forcePathStyle: true } }) as S3Destination;
      made.push(asDefault);
      await assert.rejects(asDefault.check(), /Access denied to s3:\/\/sms-backups/);
    } finally {
      // Put the variables back one by one: a plain object in place of process.env would stop
      // later changes (TZ in other tests) from reaching the process.
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('an endpoint nothing listens on, and one that is not S3 storage', async () => {
    const port = await freePort();
    await expectRefusal(
      dest({ endpoint: `http://127.0.0.1:${port}` }),
      'nothing listens at the endpoint',
      /Cannot reach the S3 storage at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      /lifeboat\.offsite\.s3\.endpoint/,
    );
    for (const status of [200, 404]) {
      const web = createServer((_req, res) =>
        res.writeHead(status, { 'content-type': 'text/html' }).end('<html><body>Console</body></html>'),
      );
      await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
      try {
        await expectRefusal(
          dest({ endpoint: `http://127.0.0.1:${(web.address() as { port: number }).port}` }),
          `the endpoint is a web page (HTTP ${status}), not S3`,
          new RegExp(`answered, but not as S3 storage \\(HTTP ${status}\\)`),
          /lifeboat\.offsite\.s3\.endpoint/,
        );
      } finally {
        web.close();
      }
    }
  });
});
