import { SettingsError } from '../common';

/** `lifeboat.offsite.s3.*`: how to reach the storage; credentials are never among them. */
export interface S3Settings {
  /** An S3-compatible server's URL (MinIO, R2, B2, Wasabi…); empty: AWS itself. */
  endpoint?: string;
  /** Empty: AWS_REGION, else us-east-1 (AWS redirects a wrong one; most other servers ignore it). */
  region?: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`, as MinIO and most self-hosted servers want. */
  forcePathStyle?: boolean;
  /** A profile of ~/.aws/credentials and ~/.aws/config; empty: AWS_PROFILE, else "default". */
  profile?: string;
}

/** Where in a bucket the copies go: `s3://bucket/prefix` split, the prefix without slashes at its ends. */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/**
 * Reads `s3://bucket/prefix` (the prefix may be empty or several folders deep). Bucket rules
 * differ between servers, so only what no server accepts is refused here; the server's own
 * answer names the rest.
 */
export function parseS3Location(text: string): S3Location {
  // Called for values that start with s3:// (parseDestination), which this always matches.
  const m = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(text.trim())!;
  const bucket = m[1];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$/.test(bucket)) {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}", which does not name an S3 bucket.`,
      'Write it as s3://bucket/prefix, for example "s3://my-backup-bucket/sms" (the runbook\'s bucket), with the bucket name as the storage shows it.',
    );
  }
  const prefix = m[2].replace(/^\/+|\/+$/g, '');
  if (prefix && prefix.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new SettingsError(
      `The setting lifeboat.offsite.destination is "${text}": its prefix "${prefix}" has an empty, "." or ".." folder.`,
      'Write the prefix as plain folder names separated by single slashes, for example "s3://my-backup-bucket/sms".',
    );
  }
  return { bucket, prefix };
}

/** The endpoint setting checked early, so a typo is named as a setting rather than a network error. */
export function checkS3Endpoint(endpoint: string | undefined): string | undefined {
  const text = (endpoint ?? '').trim();
  if (!text) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new SettingsError(
      `The setting lifeboat.offsite.s3.endpoint is "${text}", which is not an http:// or https:// URL.`,
      'Use the URL of the S3-compatible server, for example "https://s3.eu-central-003.backblazeb2.com" or "http://nas.local:9000", or leave it empty for AWS.',
    );
  }
  return text.replace(/\/+$/, '');
}
