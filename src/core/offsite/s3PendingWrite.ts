import type { S3Client } from '@aws-sdk/client-s3';
import { PassThrough, Readable, Writable } from 'node:stream';
import { LifeboatError } from '../common';
import type { PendingWrite } from './destination';
import { s3Code } from './s3Error';
import type { S3Sdk } from './s3Sdk';

export interface S3WriteTarget {
  sdk: S3Sdk;
  client: S3Client;
  bucket: string;
  /** The final key, and the hidden one the bytes go to until they are checked. */
  key: string;
  staging: string;
  /** Bytes per uploaded part, and parts in flight: memory holds about (queueSize + 1) parts. */
  partSize: number;
  queueSize: number;
  /** A staged object larger than this is put into place by a multipart copy (CopyObject stops at 5 GiB). */
  copyLimit: number;
  errorOf(err: unknown, action: string): LifeboatError;
}

/**
 * The multipart upload of one object, streamed: bytes go to a hidden staging key
 * (`database/.name.partial`), which appears only when CompleteMultipartUpload makes it whole
 * at once. `readBack()` GETs the staged object; `commit()` copies it to the final key on the
 * server (one atomic step, nothing downloaded again) and deletes the staging key. `abort()`
 * aborts the multipart upload, so no parts stay stored and billed, and deletes anything staged.
 */
export async function s3PendingWrite(t: S3WriteTarget): Promise<PendingWrite> {
  await abortStaleUploads(t);
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  const upload = new t.sdk.Upload({
    client: t.client,
    params: { Bucket: t.bucket, Key: t.staging, Body: body },
    partSize: t.partSize,
    queueSize: t.queueSize,
    leavePartsOnError: false,
  });
  let sent = 0;
  let uploaded = false;
  const finished = upload.done().then(
    () => {
      uploaded = true;
    },
    (err: unknown) => {
      // The upload stopped reading: end the writer too, or the copy would wait on it forever.
      stream.destroy(t.errorOf(err, `upload "${t.key}"`));
      throw err;
    },
  );
  finished.catch(() => undefined);

  const stream: Writable = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      if (body.write(chunk)) done();
      else body.once('drain', () => done());
    },
    final(done) {
      body.end();
      finished.then(
        () => done(),
        (err: unknown) => done(t.errorOf(err, `upload "${t.key}"`)),
      );
    },
    destroy(err, done) {
      if (!uploaded) body.destroy(err ?? new Error('The upload was stopped.'));
      done(err);
    },
  });

  let committed = false;
  let aborting: Promise<void> | undefined;
  return {
    stream,
    readBack: async () => {
      await finished;
      try {
        const got = await t.client.send(new t.sdk.GetObjectCommand({ Bucket: t.bucket, Key: t.staging }));
        return got.Body as Readable;
      } catch (err) {
        throw t.errorOf(err, `read back "${t.key}"`);
      }
    },
    commit: async () => {
      await finished;
      try {
        if (sent > t.copyLimit) await multipartCopy(t, sent);
        else
          await t.client.send(new t.sdk.CopyObjectCommand({ Bucket: t.bucket, Key: t.key, CopySource: copySource(t.bucket, t.staging) }));
        const head = await t.client.send(new t.sdk.HeadObjectCommand({ Bucket: t.bucket, Key: t.key }));
        if (head.ContentLength !== sent) {
          throw new LifeboatError(
            `The storage copied "${t.key}" into place with ${head.ContentLength} bytes instead of ${sent}.`,
            'The storage may be failing; check it and copy again.',
          );
        }
      } catch (err) {
        throw t.errorOf(err, `put "${t.key}" in place`);
      }
      committed = true;
      await t.client.send(new t.sdk.DeleteObjectCommand({ Bucket: t.bucket, Key: t.staging })).catch(() => undefined);
    },
    abort: () => {
      aborting ??= (async () => {
        if (committed) return;
        if (!stream.destroyed) stream.destroy();
        await finished.catch(() => undefined);
        // lib-storage aborts on its own failures; this covers a failed abort there and an upload it completed.
        // Never throws: the error that stopped the copy is the one to show. An upload that could
        // not be aborted now (the server is down) is aborted by the next copy to this key.
        const uploadId = (upload as unknown as { uploadId?: string }).uploadId;
        if (uploadId && !uploaded) await abortUpload(t, uploadId).catch(() => undefined);
        await t.client.send(new t.sdk.DeleteObjectCommand({ Bucket: t.bucket, Key: t.staging })).catch(() => undefined);
      })();
      return aborting;
    },
  };
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

async function abortUpload(t: S3WriteTarget, uploadId: string): Promise<void> {
  await t.client.send(new t.sdk.AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.staging, UploadId: uploadId })).catch((err) => {
    if (s3Code(err) !== 'NoSuchUpload') throw t.errorOf(err, `abort the unfinished upload of "${t.key}"`);
  });
}

/**
 * Uploads to this staging key that a killed window or a crash left open: their parts are stored
 * and billed until aborted, and they were never going to complete. A server that cannot list
 * uploads is left as it is.
 */
async function abortStaleUploads(t: S3WriteTarget): Promise<void> {
  let found;
  try {
    found = await t.client.send(new t.sdk.ListMultipartUploadsCommand({ Bucket: t.bucket, Prefix: t.staging }));
  } catch (err) {
    if (s3Code(err) === 'NotImplemented' || s3Code(err) === 'MethodNotAllowed') return;
    throw t.errorOf(err, `list unfinished uploads of "${t.key}"`);
  }
  for (const u of found.Uploads ?? []) if (u.Key === t.staging && u.UploadId) await abortUpload(t, u.UploadId);
}

/** CopyObject for objects over 5 GiB: the same server-side copy in ranges, completed at once. */
async function multipartCopy(t: S3WriteTarget, size: number): Promise<void> {
  const { UploadId } = await t.client.send(new t.sdk.CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key }));
  try {
    const parts = [];
    for (let start = 0, n = 1; start < size; start += t.copyLimit, n++) {
      const end = Math.min(start + t.copyLimit, size) - 1;
      const r = await t.client.send(
        new t.sdk.UploadPartCopyCommand({
          Bucket: t.bucket,
          Key: t.key,
          UploadId,
          PartNumber: n,
          CopySource: copySource(t.bucket, t.staging),
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      parts.push({ PartNumber: n, ETag: r.CopyPartResult?.ETag });
    }
    await t.client.send(
      new t.sdk.CompleteMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId, MultipartUpload: { Parts: parts } }),
    );
  } catch (err) {
    await t.client.send(new t.sdk.AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId })).catch(() => undefined);
    throw err;
  }
}
