import * as assert from 'node:assert/strict';
import { cliHint } from '../../../src/cli/cliHint';
import { LifeboatError } from '../../../src/core/common';
import { s3Error } from '../../../src/core/offsite';
import { uiAction } from '../../../src/extension/uiAction';
import { uiHint } from '../../../src/extension/uiHint';

const ctx = { where: 's3://sms-backups/sms', bucket: 'sms-backups', region: 'us-east-1' };
const sdkError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode: status } });

describe('Missing or refused S3 credentials offer "Set Off-site S3 Keys…" in VS Code, and nothing new on the command line', () => {
  it('refused keys, denied access and no keys at all carry the step; other failures do not', () => {
    for (const code of ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'AccessDenied']) {
      const e = s3Error(sdkError(code, 403), 'list', ctx);
      assert.equal(e.ui, 's3-keys', code);
      assert.deepEqual(uiAction(e), { title: 'Set S3 Keys…', command: 'lifeboat.setS3Keys' });
      assert.match(uiHint(e)!, /Or save keys for this destination in the OS keychain with "Lifeboat: Set Off-site S3 Keys…"\.$/);
      assert.equal(cliHint(e), e.hint);
    }
    for (const e of [
      s3Error(sdkError('NoSuchBucket', 404), 'list', ctx),
      s3Error(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'list', ctx),
    ]) {
      assert.equal(e.ui, undefined);
      assert.equal(uiAction(e), undefined);
    }
  });

  it('keys typed just now and refused: the hint alone, and a Try Again… button', () => {
    const e = new LifeboatError('Nothing was saved.', 'Check the keys, then set the keys again.', undefined, { ui: 's3-keys-again' });
    assert.equal(uiHint(e), 'Check the keys, then set the keys again.');
    assert.deepEqual(uiAction(e), { title: 'Try Again…', command: 'lifeboat.setS3Keys' });
    assert.equal(cliHint(e), e.hint);
  });
});
