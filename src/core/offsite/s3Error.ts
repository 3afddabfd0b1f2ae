import { LifeboatError } from '../common';

/** What an error message needs to know about the destination to say what to change. */
export interface S3ErrorContext {
  /** "s3://bucket/prefix at http://…": from describe(). */
  where: string;
  bucket: string;
  region: string;
  endpoint?: string;
  profile?: string;
  /** The keys were handed over (typed into VS Code) rather than found by the AWS chain. */
  givenKeys?: boolean;
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'InvalidClientTokenId',
  'TokenRefreshRequired',
]);
const REGION_CODES = new Set(['AuthorizationHeaderMalformed', 'PermanentRedirect', 'IllegalLocationConstraintException', 'InvalidRegion']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  Region?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
  $fault?: string;
  cause?: unknown;
}

/** The HTTP status of an SDK error, when the server answered at all. */
export function s3Status(err: unknown): number | undefined {
  return (err as SdkError)?.$metadata?.httpStatusCode;
}

/** The S3 error code ("NoSuchBucket"), or the network error's code ("ECONNREFUSED"). */
export function s3Code(err: unknown): string | undefined {
  const e = err as SdkError;
  if (!e) return undefined;
  if (e.code && NETWORK_CODES.has(e.code)) return e.code;
  const cause = e.cause as SdkError | undefined;
  if (cause?.code && NETWORK_CODES.has(cause.code)) return cause.code;
  return e.Code ?? (e.name && e.name !== 'Error' ? e.name : e.code);
}

/**
 * An SDK error said as what happened and what to change: no such bucket, access denied, wrong
 * keys, wrong region, an endpoint that is down or is not S3 storage, no credentials at all. The
 * keys themselves never appear; the SDK's own message goes into the detail for the log.
 */
export function s3Error(err: unknown, action: string, ctx: S3ErrorContext): LifeboatError {
  if (err instanceof LifeboatError) return err;
  const e = (err ?? {}) as SdkError;
  const code = s3Code(err);
  const status = s3Status(err);
  const detail = `${code ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  // No `code` on the result: copyOffsite passes a LifeboatError without one through as it is,
  // where a file-system code would make it a folder's error.
  const make = (message: string, hint: string, ui?: 's3-keys') => new LifeboatError(message, hint, detail, { cause: err, ui });
  const endpoint = ctx.endpoint ?? 'AWS';
  const profile = ctx.profile ? `the profile "${ctx.profile}"` : 'the default profile';
  const keys = ctx.givenKeys ? 'the keys saved in VS Code' : profile;

  if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message ?? '')) {
    return make(
      `Cannot ${action} at ${ctx.where}: no S3 credentials were found (environment, ${profile} of ~/.aws/credentials and ~/.aws/config).`,
      'Add the access key to ~/.aws/credentials under a profile (`aws configure --profile NAME` writes it) and name that profile in lifeboat.offsite.s3.profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for VS Code. Keys are never read from settings.json.',
      's3-keys',
    );
  }
  if (code === 'NoSuchBucket') {
    return make(
      `The bucket "${ctx.bucket}" does not exist at ${endpoint}: could not ${action}.`,
      `Create the bucket (or ask its owner for its exact name), or correct lifeboat.offsite.destination${ctx.endpoint ? ' and lifeboat.offsite.s3.endpoint' : ''}. Lifeboat does not create buckets.`,
    );
  }
  if (code && CREDENTIAL_CODES.has(code)) {
    return make(
      `The S3 storage at ${endpoint} refused the credentials (${code}): could not ${action}.`,
      ctx.givenKeys
        ? 'Enter the access key and secret again, or remove the saved keys and use a profile (~/.aws/credentials, lifeboat.offsite.s3.profile).'
        : `Check the access key and secret in ${profile} (~/.aws/credentials), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; set lifeboat.offsite.s3.profile to the profile that holds the keys for this bucket.`,
      's3-keys',
    );
  }
  if (code && REGION_CODES.has(code)) {
    const right = e.Region ?? e.$response?.headers?.['x-amz-bucket-region'] ?? /expecting '([^']+)'/.exec(e.message ?? '')?.[1];
    return make(
      `The bucket "${ctx.bucket}" is not in the region "${ctx.region}"${right ? ` but in "${right}"` : ''}, or not at this endpoint (${code}): could not ${action}.`,
      right
        ? `Set lifeboat.offsite.s3.region to "${right}".`
        : "Set lifeboat.offsite.s3.region to the bucket's region, and check lifeboat.offsite.s3.endpoint (for a provider other than AWS, use the endpoint its console shows for the bucket).",
    );
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || code === 'Forbidden' || status === 403) {
    return make(
      `Access denied to ${ctx.where}: could not ${action}. The credentials were accepted but are not allowed to do this.`,
      `Give ${keys} s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on the prefix, or use a profile that has them (lifeboat.offsite.s3.profile).`,
      's3-keys',
    );
  }
  if ((code && NETWORK_CODES.has(code)) || code === 'TimeoutError' || code === 'RequestTimeout') {
    return make(
      `Cannot reach the S3 storage at ${endpoint} (${code}): could not ${action}. The local backup is unchanged; the copy is still to make.`,
      ctx.endpoint
        ? 'Check that the server is running and reachable from here, and that lifeboat.offsite.s3.endpoint has the right host and port; then copy again.'
        : 'Check the network connection (and a proxy or firewall), then copy again.',
    );
  }
  // An answer without an S3 error code (a web page, a proxy's error) came from something else.
  if (status !== undefined && !e.Code) {
    return make(
      `${endpoint} answered, but not as S3 storage (HTTP ${status}): could not ${action}.`,
      'Check lifeboat.offsite.s3.endpoint: it must be the S3 API URL of the storage (for MinIO the API port, often 9000, not the console), and lifeboat.offsite.s3.forcePathStyle for servers that want path-style requests.',
    );
  }
  return make(
    `Cannot ${action} at ${ctx.where}: ${code ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}.`,
    'Check the S3 settings (lifeboat.offsite.destination and lifeboat.offsite.s3.*) and that the storage is reachable, then retry.',
  );
}
