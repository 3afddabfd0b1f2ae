import * as assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey, fingerprint } from '../../../src/core/docker';

/** An SSH public key blob: the length-prefixed type name, then key material. */
function blob(type: string, seed = randomBytes(32)): Buffer {
  const name = Buffer.from(type, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(name.length);
  const keyLen = Buffer.alloc(4);
  keyLen.writeUInt32BE(seed.length);
  return Buffer.concat([len, name, keyLen, seed]);
}

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('checkHostKey: an SSH engine host is trusted as ssh would trust it', () => {
  let dir: string;
  let file: string;
  const key = blob('ssh-ed25519');
  const other = blob('ssh-ed25519');
  const rsa = blob('ssh-rsa');
  const b64 = (b: Buffer) => b.toString('base64');
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-knownhosts-'));
    file = join(dir, 'known_hosts');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a missing known_hosts makes every host unknown, with the fingerprint to check', () => {
    const v = checkHostKey('nas', 22, key, file);
    assert.deepEqual(v, { ok: false, reason: 'unknown', fingerprint: fingerprint(key), knownHosts: file });
    assert.match(fingerprint(key), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('a listed key passes, under a plain, comma-listed or hashed name, and on another port as [host]:port', async () => {
    await fs.writeFile(
      file,
      [
        '# comment',
        '',
        `nas,10.0.0.5 ssh-ed25519 ${b64(key)} me@laptop`,
        `${hashed('hashed-host')} ssh-ed25519 ${b64(key)}`,
        `[nas]:2222 ssh-ed25519 ${b64(key)}`,
      ].join('\n'),
    );
    assert.deepEqual(checkHostKey('nas', 22, key, file), { ok: true });
    assert.deepEqual(checkHostKey('10.0.0.5', 22, key, file), { ok: true });
    assert.deepEqual(checkHostKey('hashed-host', 22, key, file), { ok: true });
    assert.deepEqual(checkHostKey('nas', 2222, key, file), { ok: true });
    assert.equal(checkHostKey('nas', 2200, key, file).ok, false);
    assert.equal(checkHostKey('other-host', 22, key, file).ok, false);
  });

  it('a host listed with another key of the same type has changed key; one of another type only is unknown', async () => {
    await fs.writeFile(file, `nas ssh-ed25519 ${b64(other)}\nbox ssh-rsa ${b64(rsa)}\n`);
    const changed = checkHostKey('nas', 22, key, file);
    assert.equal(changed.ok, false);
    assert.equal(!changed.ok && changed.reason, 'changed');
    const unknown = checkHostKey('box', 22, key, file);
    assert.equal(!unknown.ok && unknown.reason, 'unknown');
  });

  it('a revoked key never passes, even when also listed; CA lines and malformed lines are skipped', async () => {
    await fs.writeFile(
      file,
      [
        `@revoked nas ssh-ed25519 ${b64(key)}`,
        `nas ssh-ed25519 ${b64(key)}`,
        `@cert-authority box ssh-ed25519 ${b64(key)}`,
        `@revoked box ssh-ed25519 ${b64(other)}`,
        'box ssh-ed25519',
        `|1|bm90LWEtaGFzaA== ssh-ed25519 ${b64(key)}`,
        `|1||| ssh-ed25519 ${b64(key)}`,
      ].join('\n'),
    );
    const revoked = checkHostKey('nas', 22, key, file);
    assert.equal(!revoked.ok && revoked.reason, 'changed');
    // The CA line does not vouch for the key itself here, and a revocation of a different key does not count against it.
    const box = checkHostKey('box', 22, key, file);
    assert.equal(!box.ok && box.reason, 'unknown');
  });

  it('a blob too short to name its type matches no listed key', async () => {
    const tiny = Buffer.from([0, 0]);
    await fs.writeFile(file, `nas ssh-ed25519 ${b64(key)}\n`);
    const v = checkHostKey('nas', 22, tiny, file);
    assert.equal(!v.ok && v.reason, 'unknown');
  });
});
