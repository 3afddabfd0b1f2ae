import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SettingsError } from '../../../src/core/common';
import { S3Destination, parseDestination } from '../../../src/core/offsite';

const refused = (value: string, endpoint: string | undefined, pattern: RegExp) =>
  assert.throws(
    () => parseDestination(value, { s3: { endpoint } }),
    (err: Error) => err instanceof SettingsError && pattern.test(err.message),
  );

describe('s3:// destinations in lifeboat.offsite.destination', () => {
  it('splits bucket and prefix, with or without slashes at the prefix ends, and no prefix at all', () => {
    const at = (v: string) => (parseDestination(v) as S3Destination).location;
    assert.deepEqual(at('s3://my-backup-bucket/sms'), { bucket: 'my-backup-bucket', prefix: 'sms' });
    assert.deepEqual(at('s3://my-backup-bucket/sms/database-copies/'), { bucket: 'my-backup-bucket', prefix: 'sms/database-copies' });
    assert.deepEqual(at('s3://my-backup-bucket'), { bucket: 'my-backup-bucket', prefix: '' });
    assert.deepEqual(at('S3://Legacy_Bucket.1/x'), { bucket: 'Legacy_Bucket.1', prefix: 'x' });
    assert.equal(parseDestination('s3://b1b/sms')?.describe(), 's3://b1b/sms');
    assert.equal(parseDestination('s3://b1b')?.describe(), 's3://b1b');
  });

  it('refuses what no server accepts, naming the setting', () => {
    refused('s3://', undefined, /does not name an S3 bucket/);
    refused('s3:///sms', undefined, /does not name an S3 bucket/);
    refused('s3://ab/sms', undefined, /does not name an S3 bucket/);
    refused('s3://has space/sms', undefined, /does not name an S3 bucket/);
    refused('s3://bucket/a//b', undefined, /has an empty, "\." or "\.\." folder/);
    refused('s3://bucket/a/../b', undefined, /has an empty, "\." or "\.\." folder/);
  });

  it('checks the endpoint setting is an http(s) URL before anything is sent', () => {
    refused(
      's3://bucket/sms',
      'nas.local:9000',
      /lifeboat\.offsite\.s3\.endpoint is "nas\.local:9000", which is not an http:\/\/ or https:\/\/ URL/,
    );
    refused('s3://bucket/sms', 'ftp://nas', /not an http:\/\/ or https:\/\/ URL/);
    refused('s3://bucket/sms', 'http://', /not an http:\/\/ or https:\/\/ URL/);
    const d = parseDestination('s3://bucket/sms', { s3: { endpoint: 'https://s3.eu-central-003.backblazeb2.com/' } }) as S3Destination;
    assert.equal(d.options.endpoint, 'https://s3.eu-central-003.backblazeb2.com');
    assert.equal(d.describe(), 's3://bucket/sms at https://s3.eu-central-003.backblazeb2.com');
  });

  it('loads no SDK until the destination is used', () => {
    // A process of its own: other tests in this one may have loaded the SDK already.
    const offsite = join(__dirname, '..', '..', '..', 'src', 'core', 'offsite');
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(offsite)}).parseDestination('s3://bucket/sms'); console.log(Object.keys(require.cache).filter((k) => k.includes('@aws-sdk')).length)`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(loaded.trim(), '0');
  });
});
