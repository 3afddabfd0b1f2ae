import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';

export interface TarEntry {
  name: string;
  type: string;
  mode: number;
  mtime: number;
  data: Buffer;
}

/** Every entry of a .tar.gz, read with tar-stream (an independent reader of Lifeboat's archives). */
export async function listTarGz(path: string): Promise<TarEntry[]> {
  const ex = tar.extract();
  const done = pipeline(createReadStream(path), createGunzip(), ex);
  const out: TarEntry[] = [];
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.push({
      name: e.header.name,
      type: e.header.type ?? 'file',
      mode: e.header.mode ?? 0,
      mtime: e.header.mtime?.getTime() ?? 0,
      data: Buffer.concat(chunks),
    });
  }
  await done;
  return out;
}
