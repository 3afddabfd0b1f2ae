import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import { Hash, createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { LifeboatError } from '../common';
import type { PendingWrite } from './destination';
import { s3Code, s3Status } from './s3Error';
import { S3WriteTarget, s3PendingWrite } from './s3PendingWrite';

/** One part, hashed as it arrived: S3's composite SHA256 is the sha256 of the parts' raw sha256s. */
interface Part {
  body: Buffer;
  /** The whole buffer under `body`, reused for a later part once this one is sent. */
  buffer?: Buffer;
  digest: Buffer;
}

type Mode =
  | { kind: 'undecided' }
  /** Less than one part in all, held until commitProven() (one PUT) or readBack() (the staged way). */
  | { kind: 'small'; part: Part }
  /** That one PUT went to the final key; it is read back before it counts. */
  | { kind: 'put' }
  | { kind: 'direct'; uploadId: string }
  | { kind: 'staged'; write: PendingWrite };

/**
 * A multipart upload straight to the final key, checked by the server instead of read back.
 * CompleteMultipartUpload makes the object appear whole at once, so nothing is visible under
 * the final name before `commitProven()`. Every part carries its SHA256 (x-amz-checksum-sha256,
 * and the same digest signs the payload): S3 refuses a part whose bytes do not match. After
 * completion the server's composite checksum (sha256 of the parts' sha256s), with the size,
 * must equal the one computed here from the bytes this stream was given; a mismatch removes
 * the object.
 *
 * An object smaller than one part is one PUT to the final key with its SHA256 (which S3, R2 and
 * MinIO check), then read back: cheap at that size, and a server that does not check the header
 * echoes it back unproven (commitProven answers false; abort() removes it on a mismatch).
 *
 * Where neither can be had, the bytes go the staged way (s3PendingWrite: a hidden key, read back,
 * copied into place): an object already under the final name (it is not replaced until the new
 * bytes are checked), a server that refuses the checksum headers (400, as B2 does) or does not
 * acknowledge SHA256 when the upload is created, and a caller that reads back before commit
 * without commitProven(). A server that acknowledged SHA256 but returns no checksum after
 * completion gets the completed object read back, and removed by abort() if it does not match.
 */
export async function s3DirectWrite(t: S3WriteTarget, opts: { replacing: boolean; serverChecksums: boolean }): Promise<PendingWrite> {
  await abortStale(t, t.key);
  let mode: Mode = { kind: 'undecided' };
  let deciding: Promise<void> | undefined;
  const parts: CompletedPart[] = [];
  const digests: Buffer[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  // Part buffers are reused, not allocated per part: memory stays at (queueSize + 1) parts
  // instead of growing with garbage the collector frees late (a 200 MiB copy peaked at 168 MiB).
  const spare: Buffer[] = [];
  let current: Buffer | undefined;
  let filled = 0;
  let hash: Hash = createHash('sha256');
  let completed = false;
  // Set when the stream is destroyed (a cancel, a failure): no upload is created nor part sent after it.
  let stopped = false;
  let committed = false;

  const takePart = (): Part => {
    const part = { body: current ? current.subarray(0, filled) : Buffer.alloc(0), buffer: current, digest: hash.digest() };
    current = undefined;
    filled = 0;
    hash = createHash('sha256');
    return part;
  };

  /** Creates the upload at the final key, or turns to the staged way when the server cannot prove parts. */
  const decide = async (): Promise<void> => {
    if (opts.replacing || !opts.serverChecksums) return stage();
    let created;
    try {
      created = await t.client.send(new t.sdk.CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, ChecksumAlgorithm: 'SHA256' }));
    } catch (err) {
      // A server that refuses the checksum header says so with 400 or 501; anything else is a real failure.
      if (s3Status(err) === 400 || s3Status(err) === 501) return stage();
      throw t.errorOf(err, `start the upload of "${t.key}"`);
    }
    if (created.ChecksumAlgorithm !== 'SHA256' || !created.UploadId) {
      if (created.UploadId) await abortUpload(t, t.key, created.UploadId).catch(() => undefined);
      return stage();
    }
    mode = { kind: 'direct', uploadId: created.UploadId };
  };

  const stage = async (): Promise<void> => {
    const write = await s3PendingWrite(t);
    write.stream.on('error', (err) => stream.destroy(err));
    mode = { kind: 'staged', write };
  };

  /** The small object the staged way: to the hidden key, for a read-back before it is put in place. */
  const stageSmall = async (): Promise<PendingWrite> => {
    const now = mode as Mode;
    if (now.kind === 'staged') return now.write;
    if (now.kind !== 'small') throw new Error(`Lifeboat cannot stage "${t.key}" now.`);
    await stage();
    const write = (mode as Extract<Mode, { kind: 'staged' }>).write;
    await toStaged(write, now.part.body, true);
    return write;
  };

  /** One PUT to the final key with the object's SHA256, which S3, R2 and MinIO check; false where the server refuses the header. */
  const putSmall = async (part: Part): Promise<boolean> => {
    const command = new t.sdk.PutObjectCommand({
      Bucket: t.bucket,
      Key: t.key,
      Body: part.body,
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: part.digest.toString('base64'),
    });
    try {
      await t.client.send(withPayloadHash(command, part.digest));
    } catch (err) {
      if (s3Status(err) === 400 || s3Status(err) === 501) return false;
      throw t.errorOf(err, `upload "${t.key}"`);
    }
    return true;
  };

  const toStaged = (write: PendingWrite, body: Buffer, last: boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const ok = write.stream.write(body);
      if (last) {
        write.stream.end();
        write.stream.once('finish', resolve);
        write.stream.once('error', reject);
      } else if (ok) resolve();
      else write.stream.once('drain', resolve);
    });

  const uploadPart = async (uploadId: string, n: number, part: Part): Promise<void> => {
    const command = new t.sdk.UploadPartCommand({
      Bucket: t.bucket,
      Key: t.key,
      UploadId: uploadId,
      PartNumber: n,
      Body: part.body,
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: part.digest.toString('base64'),
    });
    const answer = await t.client.send(withPayloadHash(command, part.digest));
    parts[n - 1] = { PartNumber: n, ETag: answer.ETag, ChecksumSHA256: part.digest.toString('base64') };
  };

  /** Sends a full part (or the last one), at most queueSize at once. */
  const send = async (part: Part, last: boolean): Promise<void> => {
    if (stopped) throw new Error('The upload was stopped.');
    if (mode.kind === 'undecided') await (deciding ??= decide());
    if (failure) throw failure;
    if (mode.kind === 'staged') return toStaged(mode.write, part.body, last);
    if (mode.kind !== 'direct') return;
    const { uploadId } = mode;
    while (inFlight.size >= t.queueSize) await Promise.race(inFlight);
    if (failure) throw failure;
    if (stopped) throw new Error('The upload was stopped.');
    digests.push(part.digest);
    const n = digests.length;
    const job: Promise<void> = uploadPart(uploadId, n, part).then(
      () => {
        inFlight.delete(job);
        if (part.buffer) spare.push(part.buffer);
      },
      (err: unknown) => {
        inFlight.delete(job);
        failure ??= t.errorOf(err, `upload "${t.key}"`);
      },
    );
    inFlight.add(job);
    if (last) {
      await Promise.all(inFlight);
      if (failure) throw failure;
    }
  };

  const stream: Writable = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, done) {
      void (async () => {
        let rest = chunk;
        while (rest.length) {
          current ??= spare.pop() ?? Buffer.allocUnsafeSlow(t.partSize);
          const take = Math.min(rest.length, t.partSize - filled);
          const piece = take === rest.length ? rest : rest.subarray(0, take);
          piece.copy(current, filled);
          hash.update(piece);
          filled += take;
          rest = rest.subarray(take);
          if (filled === t.partSize) await send(takePart(), false);
        }
      })().then(
        () => done(),
        (err: Error) => done(err),
      );
    },
    destroy(err, done) {
      stopped = true;
      done(err);
    },
    final(done) {
      void (async () => {
        // Less than one part in all: held for one PUT (or the staged way), and read back, cheap at that size.
        if (mode.kind === 'undecided' && digests.length === 0 && !deciding) {
          mode = { kind: 'small', part: takePart() };
          return;
        }
        if (filled > 0 || digests.length === 0) await send(takePart(), true);
        else {
          await Promise.all(inFlight);
          if (failure) throw failure;
        }
      })().then(
        () => done(),
        (err: Error) => done(err),
      );
    },
  });

  const complete = async (uploadId: string): Promise<void> => {
    try {
      await t.client.send(
        new t.sdk.CompleteMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (err) {
      throw t.errorOf(err, `complete the upload of "${t.key}"`);
    }
    completed = true;
  };

  let aborting: Promise<void> | undefined;
  return {
    stream,
    commitProven: async (expected) => {
      if (mode.kind === 'staged') return false;
      if (mode.kind === 'small') {
        const { part } = mode;
        if (opts.replacing || !opts.serverChecksums || !(await putSmall(part))) await stageSmall();
        else {
          mode = { kind: 'put' };
          completed = true;
        }
        // A single PUT's checksum is the one sent, echoed back by servers that do not check it: read back.
        return false;
      }
      if (mode.kind !== 'direct')
        throw new LifeboatError(`The upload of "${t.key}" was not started.`, 'This is a bug in Lifeboat; please report it.');
      await complete(mode.uploadId);
      let head;
      try {
        head = await t.client.send(new t.sdk.HeadObjectCommand({ Bucket: t.bucket, Key: t.key, ChecksumMode: 'ENABLED' }));
      } catch (err) {
        throw t.errorOf(err, `look up "${t.key}" after its upload`);
      }
      const theirs = head.ChecksumSHA256;
      if (!theirs) return false;
      const ours = createHash('sha256').update(Buffer.concat(digests)).digest('base64');
      // AWS says how many parts ("…=-27"); moto leaves the count off.
      const [value, count] = theirs.split('-');
      if (head.ContentLength !== expected.bytes || value !== ours || (count !== undefined && Number(count) !== digests.length)) {
        throw new LifeboatError(
          `The storage holds "${t.key}" with ${head.ContentLength} bytes and SHA256 checksum ${theirs}, not the ${expected.bytes} bytes sent (checksum ${ours}-${digests.length}). It was removed.`,
          'The storage or the network to it may be failing; check it and copy again.',
        );
      }
      committed = true;
      return true;
    },
    readBack: async () => {
      if (mode.kind === 'small') return (await stageSmall()).readBack();
      if (mode.kind === 'staged') return mode.write.readBack();
      if (!completed)
        throw new LifeboatError(
          `The upload of "${t.key}" is read back only after its completion.`,
          'This is a bug in Lifeboat; please report it.',
        );
      try {
        const got = await t.client.send(new t.sdk.GetObjectCommand({ Bucket: t.bucket, Key: t.key }));
        return got.Body as Readable;
      } catch (err) {
        throw t.errorOf(err, `read back "${t.key}"`);
      }
    },
    commit: async () => {
      if (mode.kind === 'small') return (await stageSmall()).commit();
      if (mode.kind === 'staged') return mode.write.commit();
      if (mode.kind === 'direct' && !completed) await complete(mode.uploadId);
      committed = true;
    },
    abort: () => {
      aborting ??= (async () => {
        if (committed) return;
        if (!stream.destroyed) stream.destroy();
        await Promise.allSettled([...inFlight, deciding]);
        const now = mode as Mode;
        if (now.kind === 'staged') return now.write.abort();
        if (now.kind === 'put') {
          await t.client.send(new t.sdk.DeleteObjectCommand({ Bucket: t.bucket, Key: t.key })).catch(() => undefined);
          return;
        }
        if (now.kind !== 'direct') return;
        // Never throws: the error that stopped the copy is the one to show. An upload that could
        // not be aborted now (the server is down) is aborted by the next copy to this key.
        if (!completed) await abortUpload(t, t.key, now.uploadId).catch(() => undefined);
        // Completed but not proven (a mismatch, or a read-back that failed): it is no copy.
        else await t.client.send(new t.sdk.DeleteObjectCommand({ Bucket: t.bucket, Key: t.key })).catch(() => undefined);
      })();
      return aborting;
    },
  };
}

/** The signature's payload hash is the body's sha256, already computed: given, the SDK does not hash the body again. */
function withPayloadHash<C extends { middlewareStack: { add: (...args: never[]) => void } }>(command: C, digest: Buffer): C {
  const hex = digest.toString('hex');
  (command.middlewareStack as unknown as S3Client['middlewareStack']).add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = hex;
      return next(args);
    },
    { step: 'build', name: 'lifeboatPayloadHash' },
  );
  return command;
}

async function abortUpload(t: S3WriteTarget, key: string, uploadId: string): Promise<void> {
  await t.client.send(new t.sdk.AbortMultipartUploadCommand({ Bucket: t.bucket, Key: key, UploadId: uploadId })).catch((err) => {
    if (s3Code(err) !== 'NoSuchUpload') throw t.errorOf(err, `abort the unfinished upload of "${t.key}"`);
  });
}

/** Uploads to this key that a killed window or a crash left open: stored and billed until aborted. */
async function abortStale(t: S3WriteTarget, key: string): Promise<void> {
  let found;
  try {
    found = await t.client.send(new t.sdk.ListMultipartUploadsCommand({ Bucket: t.bucket, Prefix: key }));
  } catch (err) {
    if (s3Code(err) === 'NotImplemented' || s3Code(err) === 'MethodNotAllowed') return;
    throw t.errorOf(err, `list unfinished uploads of "${t.key}"`);
  }
  for (const u of found.Uploads ?? []) if (u.Key === key && u.UploadId) await abortUpload(t, key, u.UploadId);
}
