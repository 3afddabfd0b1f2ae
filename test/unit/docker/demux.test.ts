import * as assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DockerDemux, StderrTail, dockerFrame } from '../../../src/core/docker';

async function collect(chunks: Buffer[]): Promise<{ out: string; err: string }> {
  const err: Buffer[] = [];
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    new DockerDemux((c) => err.push(c)),
    new Writable({
      write(c, _e, done) {
        out.push(c);
        done();
      },
    }),
  );
  return { out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

describe('DockerDemux', () => {
  it('separates stdout and stderr frames', async () => {
    const r = await collect([dockerFrame(1, 'hello '), dockerFrame(2, 'warn'), dockerFrame(1, 'world')]);
    assert.equal(r.out, 'hello world');
    assert.equal(r.err, 'warn');
  });

  it('handles headers and payloads split at every byte', async () => {
    const all = Buffer.concat([dockerFrame(1, 'abc'), dockerFrame(2, 'E'), dockerFrame(1, Buffer.alloc(300, 120))]);
    const bytes = [...all].map((b) => Buffer.from([b]));
    const r = await collect(bytes);
    assert.equal(r.out, 'abc' + 'x'.repeat(300));
    assert.equal(r.err, 'E');
  });

  it('reports a stream that ends inside a frame', async () => {
    const frame = dockerFrame(1, 'truncated payload');
    await assert.rejects(collect([frame.subarray(0, frame.length - 3)]), /ended inside a frame/);
  });

  it('propagates backpressure instead of buffering the whole stream', async () => {
    const source = new PassThrough();
    const demux = new DockerDemux(() => undefined);
    // A sink that never finishes a write: everything upstream must stall.
    const stuck = new Writable({ highWaterMark: 1024, write() {} });
    const done = pipeline(source, demux, stuck).catch(() => undefined);
    const frame = dockerFrame(1, Buffer.alloc(64 * 1024));
    let accepted = 0;
    for (let i = 0; i < 1000 && source.write(frame); i++) accepted++;
    await new Promise((r) => setImmediate(r));
    assert.ok(accepted < 100, `source kept accepting (${accepted} frames of 64 KiB)`);
    source.destroy();
    stuck.destroy();
    await done;
  });
});

describe('StderrTail', () => {
  it('keeps only the end of a long output', () => {
    const tail = new StderrTail(10);
    tail.push(Buffer.from('0123456789'));
    tail.push(Buffer.from('abcdef'));
    assert.equal(tail.text(), '6789abcdef');
  });
});
