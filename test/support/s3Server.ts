import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Keys of a user the server knows: `allowed` may do anything in S3, `denied` has no policy at all. */
export interface S3Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3TestServer {
  endpoint: string;
  allowed: S3Keys;
  denied: S3Keys;
  /** A client with the allowed keys, for the test's own look at the server. */
  client: S3Client;
  stop(): Promise<void>;
}

/**
 * The keys used with a server started without `checkKeys`: any keys do, they are still sent
 * signed, as to any server. Known before the server starts, so a VS Code started earlier can
 * have them in its environment, where the AWS credential chain finds them.
 */
export const OPEN_KEYS: S3Keys = { accessKeyId: 'AKIALIFEBOATTEST0000', secretAccessKey: 'test-secret' };

/** moto's server: found on PATH (the machine image's Python has it), or undefined. */
export function motoServerPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    // A shell that did not read the profile (cron, CI) has pyenv's shims off its PATH; an
    // extension host under code-server has a HOME of its own, so the account's home is asked too.
    const shims = [homedir(), userInfo().homedir].map((home) => join(home, '.pyenv', 'shims', 'moto_server'));
    return shims.find((shim) => existsSync(shim));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * moto's S3 server on 127.0.0.1. It implements what these tests need of S3 and s3rver does not:
 * ListMultipartUploads, AbortMultipartUpload, UploadPartCopy, ListObjectsV2 pages.
 *
 * With `checkKeys`, its IAM checks are on: every request after the first five (which make two
 * users and their keys) must carry a valid SigV4 signature of known keys, so wrong keys are
 * refused as AWS refuses them, and a user without a policy is denied. moto 5.2 miscomputes
 * the signature of a request whose query has a "/" in a value (it signs the decoded query),
 * so that server takes only requests without one: a destination without a prefix.
 */
export async function startMotoS3(buckets: string[], checkKeys: boolean): Promise<S3TestServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(motoServerPath()!, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...(checkKeys ? { INITIAL_NO_AUTH_ACTION_COUNT: '5' } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  const iam = async (params: Record<string, string>) => {
    const r = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // Only the credential scope matters to these unauthenticated calls: it routes them to IAM.
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString(),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`IAM ${params.Action}: ${r.status} ${text}`);
    return text;
  };
  const keysOf = (xml: string): S3Keys => ({
    accessKeyId: /<AccessKeyId>([^<]+)</.exec(xml)![1],
    secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(xml)![1],
  });
  if (!checkKeys) {
    return serve(endpoint, OPEN_KEYS, OPEN_KEYS, buckets, child);
  }
  await iam({ Action: 'CreateUser', UserName: 'lifeboat' });
  await iam({
    Action: 'PutUserPolicy',
    UserName: 'lifeboat',
    PolicyName: 's3',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
  });
  const allowed = keysOf(await iam({ Action: 'CreateAccessKey', UserName: 'lifeboat' }));
  await iam({ Action: 'CreateUser', UserName: 'stranger' });
  const denied = keysOf(await iam({ Action: 'CreateAccessKey', UserName: 'stranger' }));

  return serve(endpoint, allowed, denied, buckets, child);
}

async function serve(endpoint: string, allowed: S3Keys, denied: S3Keys, buckets: string[], child: ChildProcess): Promise<S3TestServer> {
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: allowed });
  for (const Bucket of buckets) await client.send(new CreateBucketCommand({ Bucket }));
  return {
    endpoint,
    allowed,
    denied,
    client,
    stop: async () => {
      client.destroy();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}
