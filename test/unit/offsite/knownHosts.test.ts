import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey } from '../../../src/core/docker';
import { HostKeyError, knownHostName, trustHostKey } from '../../../src/core/offsite';

/** An SSH public key blob: the length-prefixed type name, then key material. */
function blob(type: string): Buffer {
  const name = Buffer.from(type, 'latin1');
  const seed = randomBytes(32);
  const len = (n: number) => Buffer.from([0, 0, n >> 8, n & 255]);
  return Buffer.concat([len(name.length), name, len(seed.length), seed]);
}

describe('trustHostKey: a host key the user trusted goes into known_hosts as ssh writes it', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-trust-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a known_hosts that cannot be read (a folder of that name) is an error naming it, with the cause, and nothing is written into it', async () => {
    const file = join(dir, '.ssh', 'known_hosts');
    await fs.mkdir(file, { recursive: true });
    await assert.rejects(trustHostKey('nas', 22, blob('ssh-ed25519'), file), (err: Error & { hint?: string }) => {
      assert.match(err.message, new RegExp(`^Cannot add the host key of nas to ${file.replace(/[.]/g, '\\.')}: EISDIR: .*\\.$`));
      assert.match(err.hint ?? '', /ssh-keyscan -p 22 nas >> /);
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'EISDIR');
      return true;
    });
    assert.deepEqual(await fs.readdir(file), []);
  });

  it('names a host as ssh does: bare on port 22, [host]:port elsewhere', () => {
    assert.equal(knownHostName('nas', 22), 'nas');
    assert.equal(knownHostName('nas', 2222), '[nas]:2222');
    assert.equal(knownHostName('::1', 2222), '[::1]:2222');
  });

  it('creates ~/.ssh (700) and known_hosts (600), hashed, and the key then passes on that port only', async () => {
    const file = join(dir, '.ssh', 'known_hosts');
    const key = blob('ssh-ed25519');
    await trustHostKey('nas', 2222, key, file);
    assert.equal((await fs.stat(join(dir, '.ssh'))).mode & 0o777, 0o700);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    const text = await fs.readFile(file, 'utf8');
    assert.match(text, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    assert.ok(!text.includes('nas'), 'the host name is hashed');
    assert.deepEqual(checkHostKey('nas', 2222, key, file), { ok: true });
    assert.equal(checkHostKey('nas', 22, key, file).ok, false);
    assert.equal(checkHostKey('other', 2222, key, file).ok, false);
  });

  it('keeps the lines already there, even one without a final newline; another key for that host is then a changed key', async () => {
    const file = join(dir, 'known_hosts');
    const old = blob('ssh-ed25519');
    await fs.writeFile(file, `box ssh-ed25519 ${old.toString('base64')}`);
    const key = blob('ssh-ed25519');
    await trustHostKey('nas', 22, key, file);
    assert.deepEqual(checkHostKey('box', 22, old, file), { ok: true });
    assert.deepEqual(checkHostKey('nas', 22, key, file), { ok: true });
    const verdict = checkHostKey('nas', 22, blob('ssh-ed25519'), file);
    assert.equal(!verdict.ok && verdict.reason, 'changed');
  });

  it('HostKeyError: an unknown key names its fingerprint and the ssh-keyscan command; a changed one offers no trust', () => {
    const key = blob('ssh-ed25519');
    const unknown = new HostKeyError('unknown', '127.0.0.1', 2222, 'SHA256:abc', key, '/h/.ssh/known_hosts');
    assert.match(unknown.message, /\[127\.0\.0\.1\]:2222 offers the host key SHA256:abc, which is not in \/h\/\.ssh\/known_hosts/);
    assert.match(unknown.hint ?? '', /ssh-keyscan -p 2222 127\.0\.0\.1 >> ~\/\.ssh\/known_hosts/);
    const changed = new HostKeyError('changed', 'nas', 22, 'SHA256:abc', key, '/h/.ssh/known_hosts');
    assert.match(changed.message, /CHANGED .*SHA256:abc.*may be intercepting/);
    assert.match(changed.hint ?? '', /ssh-keygen -R "nas"/);
    assert.doesNotMatch(changed.hint ?? '', /ssh-keyscan/);
  });
});
