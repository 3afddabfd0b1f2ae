import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export interface PackEntry extends Partial<tar.Header> {
  name: string;
  body?: string | Buffer;
}

/** A tar built by tar-stream's packer, which writes whatever header it is given (sizes, pax). */
export async function packTar(entries: PackEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body !== undefined) pack.entry({ mtime: new Date(0), ...header }, body, cb);
      else pack.entry({ mtime: new Date(0), ...header }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Numeric header fields; a bigint is written in GNU base-256, the only way to hold a huge one. */
export interface RawHeader {
  name: string;
  typeflag?: string;
  size?: number;
  mtime?: number | bigint;
  linkname?: string;
  mode?: number;
}

/** One 512-byte ustar header built by hand, for values no packer would write. */
export function rawHeader(h: RawHeader): Buffer {
  const b = Buffer.alloc(512);
  const octal = (value: number, off: number, len: number) => b.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'ascii');
  const base256 = (value: bigint, off: number, len: number) => {
    for (let i = len - 1; i > 0; i--, value >>= 8n) b[off + i] = Number(value & 0xffn);
    b[off] = 0x80;
  };
  b.write(h.name, 0, 100, 'utf8');
  octal(h.mode ?? 0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(h.size ?? 0, 124, 12);
  if (typeof h.mtime === 'bigint') base256(h.mtime, 136, 12);
  else octal(h.mtime ?? 0, 136, 12);
  b.write(h.typeflag ?? '0', 156, 1, 'ascii');
  b.write(h.linkname ?? '', 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

/** A body padded to whole 512-byte blocks, as it follows its header. */
export function blocks(body: string | Buffer): Buffer {
  const data = Buffer.from(body);
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** The two zero blocks that end a tar. */
export const END = Buffer.alloc(1024);

export async function writeTarGz(dir: string, name: string, tarBytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await fs.writeFile(path, gzipSync(tarBytes));
  return path;
}

export type Outcome = { settled: 'resolved' } | { settled: 'rejected'; error: Error };

/** The outcome of `promise`, or a failure naming `what` when it has not settled within `ms`. */
export async function settleWithin(what: string, promise: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (): Outcome => ({ settled: 'resolved' }),
        (error: Error): Outcome => ({ settled: 'rejected', error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
