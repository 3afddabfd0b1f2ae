import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_VERSION, writeManifest } from '../../../src/core/store';
import { verifyBackup } from '../../../src/core/verify';

const NAME = 'shop_backup_20260101_020000.dump';
const ONLY_FULL = 'a custom-format archive is only proven by a full verification (a test restore with pg_restore)';

/** A quick verification of a pg_dump -Fc archive reads its bytes for the checksum and nothing else. */
describe('verify (quick) of a custom-format archive: the checksum and what the manifest says', () => {
  let dir: string;
  let path: string;
  let data: Buffer;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-verify-custom-'));
    path = join(dir, NAME);
    // The archive's magic, then content: the quick path hashes it, as it would a real one.
    data = Buffer.concat([Buffer.from('PGDMP'), randomBytes(100_000)]);
    await fs.writeFile(path, data);
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('with a manifest that records its sha256, the checksum is proven and the note says only a full run proves the rest', async () => {
    await writeManifest(path, {
      formatVersion: MANIFEST_VERSION,
      kind: 'database',
      createdAt: '2026-01-01T02:00:00.000Z',
      tool: { name: 'lifeboat', version: 'test' },
      source: { database: 'shop' },
      compression: { format: 'gzip', level: 6 },
      file: { name: NAME, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') },
      verifications: [],
    });
    const r = await verifyBackup(path, { depth: 'quick' });
    assert.equal(r.ok, true, r.problem);
    assert.deepEqual(r.checks, ['sha256 matches the manifest']);
    assert.deepEqual(r.notes, [ONLY_FULL]);
  });

  it('a manifest that is not JSON is a note, not a failure: the file still passes on its own bytes', async () => {
    await fs.writeFile(`${path}.json`, '{ not json');
    const r = await verifyBackup(path, { depth: 'quick' });
    assert.equal(r.ok, true, r.problem);
    assert.equal(r.notes.length, 3, r.notes.join('; '));
    assert.match(r.notes[0], /^manifest is not valid JSON: /);
    assert.deepEqual(r.notes.slice(1), ['no manifest checksum to compare', ONLY_FULL]);
  });
});
