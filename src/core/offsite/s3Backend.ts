import type { S3Client } from '@aws-sdk/client-s3';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { LifeboatError } from '../common';
import { partialName } from '../store';
import type { PendingWrite, RemoteEntry } from './destination';
import { S3ErrorContext, s3Code, s3Error, s3Status } from './s3Error';
import { s3CredentialChain } from './s3Credentials';
import type { CredentialChainOptions } from './s3Credentials';
import type { S3Location, S3Settings } from './s3Location';
import { s3DirectWrite } from './s3DirectWrite';
import type { S3Sdk } from './s3Sdk';

/** Keys typed into VS Code, handed over from SecretStorage; otherwise the standard chain finds them. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3BackendOptions extends S3Settings, Omit<CredentialChainOptions, 'profile'> {
  /** Keys to use as they are, with no chain behind them (a check of keys typed just now). */
  credentials?: S3Credentials;
  /**
   * Bytes per multipart part (at least 5 MiB, as S3 requires) and parts in flight. 6 MiB x 3
   * (four part buffers, reused) keeps a 200 MiB copy's peak RSS at 137-146 MiB, where 8 MiB x 3
   * reached 153-157 (`npm run bench -- offsite`, and bench/offsiteOnce.js with
   * LIFEBOAT_BENCH_S3_PART_MB); 5 MiB x 4 was no faster on moto. It allows objects up to 58 GiB
   * (10,000 parts).
   */
  partSize?: number;
  queueSize?: number;
  /** Keys per ListObjectsV2 page; tests lower it to walk the pages. */
  pageSize?: number;
  copyLimit?: number;
  /**
   * Off: every write goes the staged way (a hidden key, read back, copied into place), for a
   * server that mishandles checksum headers. On (the default), a large object is uploaded
   * straight to its key and proven by the server's SHA256 checksums.
   */
  serverChecksums?: boolean;
  /** How long a request may wait for the server's answer before it fails (each of three attempts); tests lower it. */
  requestTimeoutMs?: number;
}

const DEFAULT_PART = 6 * 1024 * 1024;
const MAX_COPY = 5 * 1024 * 1024 * 1024;

/** The S3 side of S3Destination, over the SDK it was handed once loaded. */
export class S3Backend {
  private readonly client: S3Client;
  private readonly ctx: S3ErrorContext;

  constructor(
    private readonly sdk: S3Sdk,
    private readonly location: S3Location,
    private readonly options: S3BackendOptions,
    where: string,
  ) {
    const region = options.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
    this.ctx = {
      where,
      bucket: location.bucket,
      region,
      endpoint: options.endpoint,
      profile: options.profile,
      givenKeys: !!options.credentials,
    };
    this.client = new sdk.S3Client({
      region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials ?? s3CredentialChain(sdk, this.ctx, options),
      // AWS answers a wrong region with a redirect the SDK can follow; other servers get a clear error.
      followRegionRedirects: !options.endpoint,
      // Lifeboat asks for SHA256 checksums itself where it uses them (s3DirectWrite); the SDK's
      // newer default checksums are not understood by every S3-compatible server (older MinIO,
      // B2, R2 in places).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      // Without throwOnRequestTimeout the SDK only logs a warning at requestTimeout and goes on
      // waiting: a server that accepts and never answers would hold a copy or a listing forever.
      requestHandler: { connectionTimeout: 10_000, requestTimeout: options.requestTimeoutMs ?? 120_000, throwOnRequestTimeout: true },
    });
  }

  private key(path: string): string {
    const clean = posix.normalize(path);
    if (clean.startsWith('../') || clean === '..' || posix.isAbsolute(clean)) {
      throw new LifeboatError(
        `The off-site path "${path}" leaves the destination's prefix.`,
        'This is a bug in Lifeboat; please report it.',
      );
    }
    return this.location.prefix ? `${this.location.prefix}/${clean}` : clean;
  }

  private fail(err: unknown, action: string): LifeboatError {
    return s3Error(err, action, this.ctx);
  }

  /** Lists one key (the bucket's existence, the keys and the right to list in one GET whose error has a code). */
  async check(): Promise<void> {
    let answer;
    try {
      answer = await this.client.send(
        new this.sdk.ListObjectsV2Command({
          Bucket: this.location.bucket,
          Prefix: this.location.prefix ? `${this.location.prefix}/` : undefined,
          MaxKeys: 1,
        }),
      );
    } catch (err) {
      throw this.fail(err, `list the bucket "${this.location.bucket}"`);
    }
    // A web page served with 200 parses as an empty listing; S3 always names the bucket it listed.
    if (answer.Name === undefined) {
      const status = answer.$metadata.httpStatusCode ?? 200;
      throw this.fail(
        Object.assign(new Error('The answer has no ListBucketResult.'), { name: 'Unknown', $metadata: { httpStatusCode: status } }),
        `list the bucket "${this.location.bucket}"`,
      );
    }
  }

  /** The objects directly under a folder, page after page; hidden keys (staging uploads) are not copies. */
  async list(prefix: string): Promise<RemoteEntry[]> {
    const dir = prefix.replace(/^\/+|\/+$/g, '');
    const keyPrefix = dir ? `${this.key(dir)}/` : this.location.prefix ? `${this.location.prefix}/` : '';
    const out: RemoteEntry[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new this.sdk.ListObjectsV2Command({
            Bucket: this.location.bucket,
            Prefix: keyPrefix || undefined,
            Delimiter: '/',
            ContinuationToken: token,
            MaxKeys: this.options.pageSize,
          }),
        );
      } catch (err) {
        throw this.fail(err, `list "${keyPrefix || '/'}" in the bucket "${this.location.bucket}"`);
      }
      for (const o of page.Contents ?? []) {
        const name = (o.Key ?? '').slice(keyPrefix.length);
        if (!name || name.startsWith('.') || name.includes('/')) continue;
        out.push({ path: dir ? `${dir}/${name}` : name, bytes: o.Size ?? 0, modified: o.LastModified });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async stat(path: string): Promise<RemoteEntry | undefined> {
    try {
      const head = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.location.bucket, Key: this.key(path) }));
      return { path, bytes: head.ContentLength ?? 0, modified: head.LastModified };
    } catch (err) {
      if (s3Status(err) === 404 && s3Code(err) !== 'NoSuchBucket') return undefined;
      throw this.fail(err, `look up "${path}"`);
    }
  }

  async read(path: string): Promise<Readable> {
    try {
      const got = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(path) }));
      return got.Body as Readable;
    } catch (err) {
      throw this.fail(err, `download "${path}"`);
    }
  }

  async write(path: string): Promise<PendingWrite> {
    const key = this.key(path);
    const dir = posix.dirname(key);
    const staging = (dir === '.' ? '' : `${dir}/`) + partialName(posix.basename(key));
    // An object already there is not replaced by unchecked bytes, even for a moment.
    const replacing = (await this.stat(path)) !== undefined;
    try {
      return await s3DirectWrite(
        {
          sdk: this.sdk,
          client: this.client,
          bucket: this.location.bucket,
          key,
          staging,
          partSize: Math.max(this.options.partSize ?? DEFAULT_PART, 5 * 1024 * 1024),
          queueSize: this.options.queueSize ?? 3,
          copyLimit: Math.min(this.options.copyLimit ?? MAX_COPY, MAX_COPY),
          errorOf: (err, action) => this.fail(err, action),
        },
        { replacing, serverChecksums: this.options.serverChecksums ?? true },
      );
    } catch (err) {
      throw this.fail(err, `start the upload of "${path}"`);
    }
  }

  async remove(path: string): Promise<void> {
    try {
      await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(path) }));
    } catch (err) {
      if (s3Status(err) === 404 && s3Code(err) !== 'NoSuchBucket') return;
      throw this.fail(err, `delete "${path}"`);
    }
  }

  /** Closes the client's sockets, so a command-line run ends at once. */
  close(): void {
    this.client.destroy();
  }
}
