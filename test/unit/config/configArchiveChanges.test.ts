import * as assert from 'node:assert/strict';
import { promises as fs, symlinkSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveConfig } from '../../../src/core/config';
import { LifeboatError } from '../../../src/core/common';

const NOW = () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

/** A file of `mib` MiB: big enough that progress is reported while it is still being read. */
async function bigFile(path: string, mib: number): Promise<void> {
  const h = await fs.open(path, 'w');
  for (let i = 0; i < mib; i++) await h.write(Buffer.alloc(1 << 20, i));
  await h.close();
}

describe('archiveConfig: files changed while they are archived (issue 13)', () => {
  let root: string;
  let ws: string;
  let backupDir: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-cfg-changes-'));
    ws = join(root, 'ws');
    backupDir = join(root, 'backups');
    await fs.mkdir(ws);
    await bigFile(join(ws, 'a.bin'), 16);
    await fs.writeFile(join(ws, 'z.conf'), 'z=1\n');
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  /** Runs an archive that calls `change` once, when the first MiB of a.bin has gone in. */
  const archiveWhile = (change: () => void) => {
    let changed = false;
    return archiveConfig({
      backupDir,
      workspace: ws,
      paths: ['a.bin', 'z.conf'],
      now: NOW,
      progress: (p) => {
        if (!changed && (p.bytes ?? 0) > 1 << 20) {
          changed = true;
          change();
        }
      },
    });
  };

  it('a file that shrinks while it is read fails the archive, naming the file; no archive or partial is left', async () => {
    await assert.rejects(
      archiveWhile(() => truncateSync(join(ws, 'a.bin'), 1000)),
      (err: unknown) => {
        assert.ok(err instanceof LifeboatError);
        assert.equal(err.message, '"a.bin" shrank while it was being archived.');
        assert.equal(err.hint, 'Retry when the files are not being changed.');
        return true;
      },
    );
    assert.deepEqual(await fs.readdir(join(backupDir, 'config')), []);
  });

  it('a file removed after the plan was made fails the archive, naming it; no archive or partial is left', async () => {
    await assert.rejects(
      archiveWhile(() => unlinkSync(join(ws, 'z.conf'))),
      (err: unknown) => {
        assert.ok(err instanceof LifeboatError);
        assert.match(err.message, /^Cannot read the config file \(.*\/ws\/z\.conf\): ENOENT/);
        return true;
      },
    );
    assert.deepEqual(await fs.readdir(join(backupDir, 'config')), []);
  });

  it('a file swapped for a symbolic link after the plan was made is refused, naming it; the link is not followed', async () => {
    const swap = () => {
      unlinkSync(join(ws, 'z.conf'));
      symlinkSync('/etc/passwd', join(ws, 'z.conf'));
    };
    await assert.rejects(archiveWhile(swap), (err: unknown) => {
      assert.ok(err instanceof LifeboatError);
      assert.equal(err.message, '"z.conf" turned into a symbolic link while it was being archived.');
      assert.equal(err.hint, 'Retry when the files are not being changed.');
      return true;
    });
    assert.deepEqual(await fs.readdir(join(backupDir, 'config')), []);
  });
});
