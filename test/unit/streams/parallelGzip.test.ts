import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ParallelGzip } from '../../../src/core/streams';

async function compress(input: Buffer, chunk: number, opts = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(input.subarray(i, i + chunk));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(parts),
    new ParallelGzip(opts),
    new Writable({
      write(c, _e, done) {
        out.push(c);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

/** Text that compresses like a real dump: repeated structure, random values. */
function dumpLike(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${i}\tuser${i % 977}@example.com\t${randomBytes(6).toString('hex')}\t2026-01-${(i % 28) + 1} 10:00:00\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

describe('ParallelGzip', () => {
  it('round-trips through zlib, in order, across many blocks', async () => {
    const input = dumpLike(5 * 1024 * 1024 + 123);
    const gz = await compress(input, 65536, { blockSize: 256 * 1024, concurrency: 3 });
    assert.ok(gunzipSync(gz).equals(input));
  });

  it('writes a file the gzip tool accepts (multi-member) with the same content', async function () {
    const input = dumpLike(3 * 1024 * 1024);
    const gz = await compress(input, 50000, { blockSize: 512 * 1024 });
    const dir = mkdtempSync(join(tmpdir(), 'lb-gz-'));
    writeFileSync(join(dir, 'x.gz'), gz);
    execFileSync('gzip', ['-t', join(dir, 'x.gz')]);
    const plain = execFileSync('gzip', ['-dc', join(dir, 'x.gz')], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(createHash('sha256').update(plain).digest('hex'), createHash('sha256').update(input).digest('hex'));
  });

  it('stays within 2% of single-stream gzip in size at 1 MiB blocks', async () => {
    const input = dumpLike(8 * 1024 * 1024);
    const ours = await compress(input, 65536, { level: 6 });
    const single = gzipSync(input, { level: 6 });
    assert.ok(ours.length <= single.length * 1.02, `${ours.length} vs ${single.length}`);
  });

  it('holds back its writer while its reader does not read (contract 10 in docs/contracts.md)', async () => {
    // Incompressible blocks, so the output is as large as the input and fills the readable side.
    const block = randomBytes(64 * 1024);
    // Finite, so that a ParallelGzip that buffers everything fails here instead of using up memory.
    const offered = 64 * 1024 * 1024;
    let pulled = 0;
    const source = new Readable({
      read() {
        pulled += block.length;
        this.push(pulled <= offered ? block : null);
      },
    });
    const gzip = new ParallelGzip({ blockSize: 256 * 1024, concurrency: 2 });
    // A reader that never finishes a write: everything upstream must stall.
    const stuck = new Writable({ highWaterMark: 16 * 1024, write() {} });
    const done = pipeline(source, gzip, stuck).catch(() => undefined);
    // Let the thread pool settle: the pull stops growing once every buffer is full.
    let before = -1;
    for (let i = 0; i < 50 && pulled !== before; i++) {
      before = pulled;
      await new Promise((r) => setTimeout(r, 40));
    }
    assert.equal(pulled, before, 'the source was still being read after 2 s');
    // The readable side holds 1 MiB, two blocks are in flight and one is being filled.
    assert.ok(pulled < 4 * 1024 * 1024, `ParallelGzip read ${(pulled / 1048576).toFixed(1)} MiB from a stalled pipeline`);
    source.destroy();
    stuck.destroy();
    await done;
  });

  it('makes a valid gzip file of empty input', async () => {
    const gz = await compress(Buffer.alloc(0), 1);
    assert.equal(gunzipSync(gz).length, 0);
  });
});
