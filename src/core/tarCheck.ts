import type { BackupSource } from './backupSource';
import { CryptoError } from './crypto/cryptoError';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { basename } from 'node:path';
import { named } from './backupSource';
import { CancelledError, LifeboatError } from './errors';
import { HashStream } from './hashStream';
import { inflater } from './inflate';
import type { OperationOptions } from './progress';

export interface TarFacts {
  entries: number;
  files: number;
  bytes: number;
  fileSha256: string;
  fileBytes: number;
}

/**
 * Reads a `.tar.gz` to the end: every gzip member and every tar entry, so a truncated or
 * corrupt archive is found now rather than during a restore. Entries are drained, not kept.
 */
export async function checkTarGz(source: BackupSource, opts: OperationOptions = {}): Promise<TarFacts> {
  const { path, fileBytes: total } = source;
  const hash = new HashStream((bytes) => opts.progress?.({ phase: 'Reading the archive', bytes, total }));
  const tar = extract();
  const facts = { entries: 0, files: 0, bytes: 0 };
  tar.on('entry', (header, stream, next) => {
    facts.entries++;
    if (header.type === 'file') facts.files++;
    stream.on('data', (c: unknown) => {
      facts.bytes += (c as Buffer).length;
    });
    stream.resume();
    // tar-stream never ends a folder's body when its header declares a size (it reads none).
    if (header.type === 'directory') {
      stream.on('error', () => undefined);
      next();
    } else {
      stream.on('end', next);
      stream.on('error', next);
    }
  });
  try {
    await pipeline(source.open(), hash, inflater(), tar, { signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    if (err instanceof CryptoError) throw named(err, basename(path));
    const msg = (err as Error).message ?? String(err);
    if (/unexpected end|Unexpected end/i.test(msg)) {
      throw new LifeboatError(`${path} is truncated: ${msg}.`, 'The archive was cut off (a full disk or an interrupted copy). Use another backup.');
    }
    throw new LifeboatError(`${path} is not a readable .tar.gz: ${msg}.`, 'The archive is corrupt. Use another backup.');
  }
  return { ...facts, fileSha256: hash.digest(), fileBytes: hash.bytes };
}
