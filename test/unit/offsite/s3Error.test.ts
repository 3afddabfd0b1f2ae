import * as assert from 'node:assert/strict';
import { s3Error } from '../../../src/core/offsite';

// Shaped as the SDK's errors are (name, Code, $metadata, $response), for the answers the test
// servers cannot give: a wrong region, missing credentials, a timeout.
const ctx = { where: 's3://sms-backups/sms', bucket: 'sms-backups', region: 'us-east-1' };
const sdkError = (name: string, status: number | undefined, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(extra.message ? String(extra.message) : name), {
    name,
    ...(status ? { Code: name, $metadata: { httpStatusCode: status } } : {}),
    ...extra,
  });

describe('S3 errors said as what to change', () => {
  it('a wrong region names the right one when the server tells it', () => {
    const e = s3Error(
      sdkError('AuthorizationHeaderMalformed', 400, {
        message: "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
      }),
      'list the bucket "sms-backups"',
      ctx,
    );
    assert.match(e.message, /not in the region "us-east-1" but in "eu-west-1"/);
    assert.equal(e.hint, 'Set lifeboat.offsite.s3.region to "eu-west-1".');
    const moved = s3Error(
      sdkError('PermanentRedirect', 301, { $response: { headers: { 'x-amz-bucket-region': 'ap-south-1' } } }),
      'list',
      ctx,
    );
    assert.match(moved.hint!, /"ap-south-1"/);
    const unknown = s3Error(sdkError('IllegalLocationConstraintException', 400), 'list', ctx);
    assert.match(unknown.hint!, /lifeboat\.offsite\.s3\.region to the bucket's region/);
  });

  it('no credentials anywhere: how to make a profile, and that settings never hold keys', () => {
    const e = s3Error(
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'list',
      {
        ...ctx,
        profile: 'backups',
      },
    );
    assert.match(e.message, /no S3 credentials were found \(environment, the profile "backups"/);
    assert.match(e.hint!, /aws configure --profile NAME/);
    assert.match(e.hint!, /never read from settings\.json/);
  });

  it('a timeout is an unreachable endpoint, and the copy stays to make', () => {
    const e = s3Error(Object.assign(new Error('socket hang up'), { code: 'ETIMEDOUT' }), 'list', { ...ctx, endpoint: 'http://nas:9000' });
    assert.match(e.message, /Cannot reach the S3 storage at http:\/\/nas:9000 \(ETIMEDOUT\).*still to make/);
  });

  it('keeps the SDK message for the log, never a key', () => {
    const e = s3Error(sdkError('SignatureDoesNotMatch', 403), 'list', { ...ctx, givenKeys: true });
    assert.match(e.detail!, /SignatureDoesNotMatch \(HTTP 403\)/);
    assert.match(e.hint!, /Enter the access key and secret again/);
  });

  it('a network error the SDK wraps, without an endpoint setting: the connection is what to check', () => {
    const e = s3Error(Object.assign(new Error('write failed'), { name: 'Error', cause: { code: 'ECONNRESET' } }), 'upload "x"', ctx);
    assert.match(e.message, /Cannot reach the S3 storage at AWS \(ECONNRESET\): could not upload "x"/);
    assert.match(e.hint!, /Check the network connection/);
  });

  it('the region from the error itself, a bucket missing at AWS, and what has no rule of its own', () => {
    assert.match(s3Error(sdkError('PermanentRedirect', 301, { Region: 'eu-north-1' }), 'list', ctx).hint!, /"eu-north-1"/);
    const missing = s3Error(sdkError('NoSuchBucket', 404), 'list the bucket "sms-backups"', ctx);
    assert.equal(
      missing.hint,
      'Create the bucket (or ask its owner for its exact name), or correct lifeboat.offsite.destination. Lifeboat does not create buckets.',
    );
    const other = s3Error(sdkError('InternalError', 500, { message: 'We encountered an internal error.' }), 'list', ctx);
    assert.match(
      other.message,
      /^Cannot list at s3:\/\/sms-backups\/sms: InternalError \(HTTP 500\): We encountered an internal error\.\.?$/,
    );
    assert.match(s3Error(Object.assign(new Error('odd'), { name: 'Error', code: 'EPROTO' }), 'list', ctx).message, /EPROTO/);
    assert.match(s3Error(undefined, 'list', ctx).message, /Cannot list at s3:\/\/sms-backups\/sms: error/);
  });

  it('a LifeboatError passes through as it is', () => {
    const own = s3Error(sdkError('NoSuchBucket', 404), 'list', ctx);
    assert.equal(s3Error(own, 'upload', ctx), own);
  });

  it('keys found by the AWS chain are named by their profile', () => {
    const e = s3Error(sdkError('InvalidAccessKeyId', 403), 'list', { ...ctx, profile: 'backups' });
    assert.match(e.hint!, /Check the access key and secret in the profile "backups" \(~\/\.aws\/credentials\)/);
  });
});
