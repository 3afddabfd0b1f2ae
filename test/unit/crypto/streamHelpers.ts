import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The source folder of the fixtures (tests run from out/, which holds only JavaScript). */
export const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'unit', 'crypto', 'fixtures');

/** Cuts a buffer into pieces of random sizes, so chunk boundaries land everywhere. */
export function randomPieces(data: Buffer, max = 100_000): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length;) {
    const n = Math.min(data.length - i, randomInt(1, max + 1));
    pieces.push(data.subarray(i, i + n));
    i += n;
  }
  return pieces;
}

export interface Outcome {
  out: Buffer;
  err?: Error;
}

/** Runs one transform over `data`; keeps what it emitted even when it fails. */
export async function runTransform(transform: Transform, data: Buffer | Buffer[]): Promise<Outcome> {
  const parts: Buffer[] = [];
  let err: Error | undefined;
  try {
    await pipeline(
      Readable.from(Array.isArray(data) ? data : [data]),
      transform,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          parts.push(chunk);
          done();
        },
      }),
    );
  } catch (e) {
    err = e as Error;
  }
  return { out: Buffer.concat(parts), err };
}

export async function mustRun(transform: Transform, data: Buffer | Buffer[]): Promise<Buffer> {
  const { out, err } = await runTransform(transform, data);
  if (err) throw err;
  return out;
}

export function patterned(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 7 + (i >> 9)) & 0xff;
  return b;
}

export const KiB64 = 64 * 1024;
export const sizes = [0, 1, KiB64 - 1, KiB64, KiB64 + 1, 2 * KiB64, 3 * 1024 * 1024 + 17];
export { randomBytes };
