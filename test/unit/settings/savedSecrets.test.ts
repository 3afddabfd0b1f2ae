import * as assert from 'node:assert/strict';
import { parseSecretIndex, secretsOfScope, withSecret, withoutSecrets } from '../../../src/extension/savedSecretIndex';
import { maskKeyId, parseS3Keys } from '../../../src/extension/s3KeyStore';

describe('The keychain index of saved secrets (names only) and the saved S3 keys', () => {
  const a = { slot: 'lifeboat.passphrase/file:///a', label: 'The passphrase of encrypted backups', scope: 'file:///a' };
  const b = { slot: 'lifeboat.s3Keys/file:///b/s3://x', label: 'S3 keys for s3://x', scope: 'file:///b' };
  const ssh = { slot: 'lifeboat.sshKeyPassphrase//root/.ssh/id_ed25519', label: 'The passphrase of the SSH key /root/.ssh/id_ed25519' };

  it('an unreadable or foreign index counts as empty; bad entries are dropped', () => {
    assert.deepEqual(parseSecretIndex(undefined), []);
    assert.deepEqual(parseSecretIndex('{not json'), []);
    assert.deepEqual(parseSecretIndex('{"slot":"x"}'), []);
    assert.deepEqual(parseSecretIndex(JSON.stringify([a, { slot: 1, label: 'x' }, null, { slot: 's', label: 'l', scope: 3 }, ssh])), [
      a,
      ssh,
    ]);
  });

  it('adding replaces the entry of the same slot, removing takes only the named slots', () => {
    const renamed = { ...a, label: 'renamed' };
    assert.deepEqual(withSecret(withSecret([a, b], ssh), renamed), [b, ssh, renamed]);
    assert.deepEqual(withoutSecrets([a, b, ssh], [b.slot, 'unknown']), [a, ssh]);
  });

  it("a workspace sees its own entries and those of every workspace, never another's", () => {
    assert.deepEqual(secretsOfScope([a, b, ssh], 'file:///a'), [a, ssh]);
    assert.deepEqual(secretsOfScope([a, b, ssh], 'file:///c'), [ssh]);
  });

  it('saved S3 keys read back whole, or not at all', () => {
    assert.deepEqual(parseS3Keys('{"accessKeyId":"AKIA1","secretAccessKey":"s","sessionToken":""}'), {
      accessKeyId: 'AKIA1',
      secretAccessKey: 's',
    });
    assert.deepEqual(parseS3Keys('{"accessKeyId":"AKIA1","secretAccessKey":"s","sessionToken":"t"}'), {
      accessKeyId: 'AKIA1',
      secretAccessKey: 's',
      sessionToken: 't',
    });
    for (const bad of [undefined, '', 'AKIA1:s', '{"accessKeyId":"AKIA1"}', '{"accessKeyId":"","secretAccessKey":"s"}', '[]'])
      assert.equal(parseS3Keys(bad), undefined, String(bad));
  });

  it('an access key ID is shown by its ends only', () => {
    assert.equal(maskKeyId('AKIAIOSFODNN7EXAMPLE'), 'AKIA…MPLE');
    assert.equal(maskKeyId('short'), '…');
  });
});
