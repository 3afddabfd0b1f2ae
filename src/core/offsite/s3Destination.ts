import type { Readable } from 'node:stream';
import type { Destination, PendingWrite, RemoteEntry } from './destination';
import { S3Backend, S3BackendOptions } from './s3Backend';
import type { S3Location } from './s3Location';

/**
 * S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, Backblaze B2, Wasabi…) at
 * `s3://bucket/prefix`, laid out like the local folder (`<prefix>/database/…`), so
 * `aws s3 cp` reads Lifeboat's copies and Lifeboat lists what `aws s3 cp` put there.
 * Credentials come from the standard AWS chain (environment, ~/.aws profiles) or, when typed
 * into VS Code, from SecretStorage; never from settings.
 */
export class S3Destination implements Destination {
  private backend?: Promise<S3Backend>;

  constructor(
    readonly location: S3Location,
    readonly options: S3BackendOptions = {},
  ) {}

  describe(): string {
    const url = `s3://${this.location.bucket}${this.location.prefix ? `/${this.location.prefix}` : ''}`;
    return this.options.endpoint ? `${url} at ${this.options.endpoint}` : url;
  }

  /**
   * The SDK is loaded on first use, from a file of its own beside the bundle (scripts/build.mjs),
   * so activation does not pay for it. require, not import(): a native import() would bypass
   * the bundle's resolution and, in the transpiled tests, CommonJS's extension lookup.
   */
  private load(): Promise<S3Backend> {
    this.backend ??= Promise.resolve().then(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sdk = require('./s3Sdk') as typeof import('./s3Sdk');
      return new S3Backend(sdk, this.location, this.options, this.describe());
    });
    return this.backend;
  }

  async check(): Promise<void> {
    return (await this.load()).check();
  }

  async list(prefix: string): Promise<RemoteEntry[]> {
    return (await this.load()).list(prefix);
  }

  async stat(path: string): Promise<RemoteEntry | undefined> {
    return (await this.load()).stat(path);
  }

  async read(path: string): Promise<Readable> {
    return (await this.load()).read(path);
  }

  async write(path: string): Promise<PendingWrite> {
    return (await this.load()).write(path);
  }

  async remove(path: string): Promise<void> {
    return (await this.load()).remove(path);
  }

  /** Ends the SDK's keep-alive sockets (a command line or a test would otherwise wait for them). */
  async close(): Promise<void> {
    if (this.backend) (await this.backend).close();
  }
}
