import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { plainSource } from '../../../src/core/encryption';
import { unpackedBytes } from '../../../src/core/volume';
import type { VolumeManifest } from '../../../src/core/volume';

describe('unpackedBytes: how much a volume snapshot unpacks to, before the room check', () => {
  let root: string;
  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-room-'));
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it("takes the manifest's tar size, else the gzip trailer's, and knows nothing of a tiny or encrypted file", async () => {
    const path = join(root, 'sms_postgres_data_20240102_030405.tar.gz');
    await fs.writeFile(path, gzipSync(Buffer.alloc(123_456, 7)));
    const source = await plainSource(path);
    assert.equal(await unpackedBytes(undefined, source), 123_456);
    assert.equal(await unpackedBytes({ content: { bytes: 999 } } as VolumeManifest, source), 999);
    assert.equal(await unpackedBytes(undefined, { ...source, encryption: 'age' }), undefined);
    const tiny = join(root, 'tiny.tar.gz');
    await fs.writeFile(tiny, Buffer.alloc(17));
    assert.equal(await unpackedBytes(undefined, await plainSource(tiny)), undefined);
  });
});
