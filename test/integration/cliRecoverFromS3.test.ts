import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { S3TestServer, motoServerPath, startMotoS3 } from '../support/s3Server';
import { dataFingerprint, databases, demoStack, inVolume, psql, shInVolume, waitHealthy } from './harness';
import { files, lifeboat, project } from './cliRun';

const VOLUME = 'sms_postgres_data';
const BUCKET = 'recovery';
const MARKER = 'lifeboat-s3-recovery-marker';
const TABLE = 'lifeboat_s3_recovery_marker';

/**
 * The runbook's "complete system failure" on a server with no VS Code: the backups were copied
 * to S3, the local backup folder is gone, and the command line alone brings back the volume
 * and the database from the S3 copies (pull, then restore with the typed --replace).
 */
describe('recovery from S3 through the command line (dist/cli.js, moto_server, the demo stack)', function () {
  this.timeout(600_000);
  let server: S3TestServer | undefined;
  let folder: string;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[]) => lifeboat([...args, '--folder', folder], env);

  before(async function () {
    if (!motoServerPath()) {
      if (process.env.CI) throw new Error('moto_server is not installed, so the S3 recovery cannot run (CI=true).');
      console.log('    (moto_server is not installed: skipped)');
      return this.skip();
    }
    await demoStack();
    server = await startMotoS3([BUCKET], false);
    folder = await project({
      'lifeboat.offsite.destination': `s3://${BUCKET}/sms`,
      'lifeboat.offsite.s3.endpoint': server.endpoint,
      'lifeboat.offsite.s3.forcePathStyle': true,
      'lifeboat.offsite.requireEncryption': false,
    });
    env = {
      AWS_ACCESS_KEY_ID: server.allowed.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.allowed.secretAccessKey,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });
  after(async () => {
    // What a failed run may have left in the shared demo stack.
    if (server) {
      await psql('sms-db', 'sms_user', 'sms_db', `DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
      await shInVolume(VOLUME, `rm -f /data/${MARKER}`).catch(() => undefined);
    }
    await server?.stop();
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  it('copies a database backup and a volume snapshot to S3; after the backup folder is lost, pulls and restores both', async () => {
    const dbsBefore = await databases('sms-db', 'sms_user');
    const volume = await cli(['backup', 'volume', '--volume', VOLUME, '--json']);
    assert.equal(volume.code, 0, volume.stderr);
    const snapshot = JSON.parse(volume.stdout.trim().split('\n').at(-1)!).path as string;
    await waitHealthy('sms-db');
    await waitHealthy('sms-web', 120_000);
    const data = await dataFingerprint('sms-db', 'sms_user', 'sms_db');
    const database = await cli(['backup', 'database', '--json']);
    assert.equal(database.code, 0, database.stderr);
    const dump = JSON.parse(database.stdout.trim()).path as string;

    const copied = await cli(['offsite', 'copy', '--new']);
    assert.equal(copied.code, 0, copied.stderr);
    for (const f of [dump, snapshot]) assert.match(copied.stdout, new RegExp(`COPIED\\s+${basename(f).replace(/\./g, '\\.')}`));

    // The disk with the backups is lost; the S3 copies are all that is left.
    await fs.rm(join(folder, 'backups'), { recursive: true });
    const listed = await cli(['offsite', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    for (const f of [dump, snapshot]) assert.match(listed.stdout, new RegExp(`${basename(f).replace(/\./g, '\\.')} .*off-site only`));

    const remote = (f: string) => `${basename(join(f, '..'))}/${basename(f)}`;
    for (const f of [snapshot, dump]) {
      const pulled = await cli(['offsite', 'pull', remote(f)]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.deepEqual(
        (await files(join(f, '..'))).filter((n) => !n.startsWith('.')),
        [basename(f), `${basename(f)}.json`],
        'pulled with its manifest, no partial left',
      );
    }

    // The volume first: it carries the whole server, so a change made after its snapshot goes.
    await shInVolume(VOLUME, `echo after the snapshot > /data/${MARKER}`);
    const vol = await cli(['restore', 'volume', snapshot, '--replace', VOLUME]);
    assert.equal(vol.code, 0, `${vol.stdout}\n${vol.stderr}`);
    await waitHealthy('sms-db');
    await waitHealthy('sms-web', 120_000);
    const top = (await inVolume(VOLUME, ['ls', '-A', '/data'], { readOnly: true })).split('\n');
    assert.ok(!top.includes(MARKER), 'the volume holds the snapshot again');
    assert.equal(await dataFingerprint('sms-db', 'sms_user', 'sms_db'), data);

    // Then the database: a table made after the dump is gone once the dump is swapped in.
    await psql('sms-db', 'sms_user', 'sms_db', `CREATE TABLE ${TABLE} (x int)`);
    const db = await cli(['restore', 'database', dump, '--replace', 'sms_db']);
    assert.equal(db.code, 0, `${db.stdout}\n${db.stderr}`);
    const kept = /The previous database is kept as "(sms_db_pre_restore_\d{8}_\d{6})"\./.exec(db.stdout)?.[1];
    assert.ok(kept, db.stdout);
    try {
      assert.equal(await dataFingerprint('sms-db', 'sms_user', 'sms_db'), data, 'the restored database holds what was backed up');
      const tables = await psql('sms-db', 'sms_user', 'sms_db', `SELECT count(*) FROM pg_tables WHERE tablename = '${TABLE}'`);
      assert.equal(tables, '0');
    } finally {
      await psql('sms-db', 'sms_user', 'postgres', `DROP DATABASE IF EXISTS "${kept}" WITH (FORCE)`);
    }
    assert.deepEqual(await databases('sms-db', 'sms_user'), dbsBefore);
  });
});
