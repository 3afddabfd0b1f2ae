import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { snapshotVolume } from '../../src/core/volume';
import { recordFault, shown } from './faultMatrix';
import {
  ProjectPostgres,
  dataFingerprint,
  docker,
  psql,
  removeProjectPostgres,
  run,
  snapshotFiles,
  startProjectPostgres,
  tempDir,
  waitHealthy,
} from './harness';

/**
 * A full disk while a volume snapshot is written to the backup folder (a 3 MB tmpfs; needs root
 * to mount it). A PostgreSQL container and volume of the test's own, stopped for the copy: it
 * must run again on its data, the partial must go, the older files stay as they were.
 */
const PROJECT = 'lifeboat-it-volfull';
const VOL = 'lifeboat_it_volfull';
const DB = 'lifeboat-it-volfull-db';
const P: ProjectPostgres = { project: PROJECT, volume: VOL, container: DB, port: 55483 };

describe('a full disk during a volume snapshot (3 MB tmpfs as the backup folder)', function () {
  this.timeout(180_000);
  let mnt: string;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    await removeProjectPostgres(P);
    await startProjectPostgres(P);
    await psql(
      DB,
      'lb',
      'lbdb',
      `CREATE TABLE blobs (id int PRIMARY KEY, body text);
      INSERT INTO blobs SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 100000) g; CHECKPOINT;`,
    );
    mnt = await tempDir('volfull');
    await run('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
  });

  after(async () => {
    if (mnt) {
      await run('umount', [mnt]).catch(() => undefined);
      await fs.rm(mnt, { recursive: true, force: true });
    }
    await removeProjectPostgres(P);
  });

  it('ENOSPC named, the partial removed, the database running again on its data, older files untouched', async () => {
    const fingerprint = await dataFingerprint(DB, 'lb', 'lbdb');
    await fs.mkdir(join(mnt, 'volumes'), { recursive: true, mode: 0o700 });
    await fs.writeFile(join(mnt, 'volumes', `volume_${VOL}_20260101_020000.tar.gz`), Buffer.alloc(64 * 1024, 1));
    const before = await snapshotFiles(mnt);
    const err = await snapshotVolume(docker, { volume: VOL, backupDir: mnt }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await waitHealthy(DB);
    const after = await snapshotFiles(mnt);
    const intact = Object.entries(before).every(([k, v]) => after[k] === v) && (await dataFingerprint(DB, 'lb', 'lbdb')) === fingerprint;
    recordFault({
      operation: 'volume snapshot',
      fault: 'a full disk while the snapshot is written (3 MB tmpfs)',
      userSees: shown(err)
        .split(mnt)
        .join('<tmpfs>')
        .replace(/\d{8}_\d{6}/g, 'YYYYMMDD_HHMMSS'),
      leftOnDisk: `${Object.keys(after).join(', ') || 'nothing'}; ${DB} running again`,
      dataLost: !intact,
    });
    assert.ok(err instanceof Error, 'the snapshot failed');
    assert.match(shown(err), /full \(ENOSPC\)/);
    assert.doesNotMatch(shown(err), /^(Error|TypeError)\b/);
    assert.deepEqual(after, before, 'nothing new in the backup folder: no partial, no final-named file');
    assert.ok((await docker.getContainer(DB).inspect()).State.Running, 'the database runs again');
    assert.ok(intact);
  });
});
