import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { credentialSource, s3CredentialChain, s3Error } from '../../../src/core/offsite';
import type { S3ErrorContext } from '../../../src/core/offsite';

/** A logger that keeps what it was told. */
function lines() {
  const info: string[] = [];
  return { info, logger: { info: (m: string) => info.push(m), warn: () => undefined, error: () => undefined, tool: () => undefined } };
}

describe('S3 credentials: saved keys first, then the AWS chain, and the log says which', () => {
  const saved = { ...process.env };
  let dir: string;

  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-s3creds-'));
    await fs.writeFile(
      join(dir, 'credentials'),
      '[backups]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = profile-secret\n',
    );
    await fs.writeFile(join(dir, 'config'), '');
  });

  beforeEach(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });

  after(async () => {
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, saved);
    await fs.rm(dir, { recursive: true, force: true });
  });

  const ctx = (): S3ErrorContext => ({ where: 's3://sms-backups/sms', bucket: 'sms-backups', region: 'us-east-1' });

  it('names the source from the features the SDK marks, never the keys', () => {
    assert.equal(
      credentialSource({ $source: { CREDENTIALS_ENV_VARS: 'g' } }, undefined),
      'the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    );
    assert.equal(
      credentialSource({ $source: { CREDENTIALS_PROFILE: 'n' } }, 'backups'),
      'the profile "backups" (~/.aws/credentials and ~/.aws/config)',
    );
    assert.equal(
      credentialSource({ $source: { CREDENTIALS_PROFILE: 'n' } }, undefined, { AWS_PROFILE: 'ops' }),
      'the profile "ops" (~/.aws/credentials and ~/.aws/config)',
    );
    assert.equal(
      credentialSource({ $source: { CREDENTIALS_PROFILE_SSO: 'r' } }, undefined, {}),
      'the profile "default" (~/.aws/credentials and ~/.aws/config)',
    );
    assert.equal(credentialSource({ $source: { CREDENTIALS_SSO: 's' } }, undefined), 'AWS IAM Identity Center (SSO)');
    assert.equal(
      credentialSource({ $source: { CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN: 'h' } }, undefined),
      'the web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE)',
    );
    assert.equal(credentialSource({ $source: { CREDENTIALS_PROCESS: 'w' } }, undefined), 'a credential_process');
    assert.equal(credentialSource({ $source: { CREDENTIALS_HTTP: 'z' } }, undefined), "the container's credentials endpoint");
    assert.equal(credentialSource({}, undefined), 'the AWS credential chain');
  });

  it('saved keys come first, even with keys in the environment, and the log says "keys saved in the OS keychain" once', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAENVIRONMENT00001';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    const { info, logger } = lines();
    const c = ctx();
    const asked: string[] = [];
    const provider = s3CredentialChain({ fromNodeProviderChain }, c, {
      savedKeys: async (where) => {
        asked.push(where);
        return { accessKeyId: 'AKIASAVEDKEY00000001', secretAccessKey: 'saved-secret' };
      },
      logger,
    });
    assert.equal((await provider()).accessKeyId, 'AKIASAVEDKEY00000001');
    await provider();
    assert.deepEqual(asked, ['s3://sms-backups/sms', 's3://sms-backups/sms']);
    assert.equal(c.givenKeys, true);
    assert.deepEqual(info, ['S3 requests to s3://sms-backups/sms are signed with keys saved in the OS keychain.']);
    assert.doesNotMatch(info.join('\n'), /secret/);
  });

  it('without saved keys: the environment, said as such', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAENVIRONMENT00001';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    const { info, logger } = lines();
    const c = { ...ctx(), givenKeys: true };
    const provider = s3CredentialChain({ fromNodeProviderChain }, c, { savedKeys: async () => undefined, logger });
    assert.equal((await provider()).accessKeyId, 'AKIAENVIRONMENT00001');
    assert.equal(c.givenKeys, false);
    assert.deepEqual(info, [
      'S3 requests to s3://sms-backups/sms are signed with the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).',
    ]);
  });

  it('without saved keys: the named profile of the credentials file, said by name', async () => {
    const { info, logger } = lines();
    const provider = s3CredentialChain({ fromNodeProviderChain }, ctx(), { profile: 'backups', logger });
    assert.equal((await provider()).accessKeyId, 'AKIAPROFILEKEY000001');
    assert.deepEqual(info, [
      'S3 requests to s3://sms-backups/sms are signed with the profile "backups" (~/.aws/credentials and ~/.aws/config).',
    ]);
  });

  it('nothing anywhere: the error offers to set keys (its UI step), and names the profile it looked in', async () => {
    const provider = s3CredentialChain({ fromNodeProviderChain }, ctx(), { savedKeys: async () => undefined });
    const err = await provider().then(
      () => assert.fail('credentials were found'),
      (e: unknown) => e,
    );
    const shown = s3Error(err, 'list the bucket "sms-backups"', ctx());
    assert.match(shown.message, /no S3 credentials were found/);
    assert.equal(shown.ui, 's3-keys');
  });
});
