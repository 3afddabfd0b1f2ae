import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openBackupSource, decryptFile, encryptFile } from '../../../src/core/encryption';
import { AgeDecrypt, AgeEncrypt, CryptoError, OpensslDecrypt, OpensslEncrypt } from '../../../src/core/crypto';
import { mustRun, runTransform } from './streamHelpers';

const PASS = 'correct horse battery staple';

/** An age passphrase file whose scrypt stanza claims `logN`; the stanza is read before the header MAC. */
async function ageWithWorkFactor(logN: string): Promise<Buffer> {
  const enc = await mustRun(new AgeEncrypt({ passphrase: PASS, workFactor: 10 }), Buffer.from('x'));
  const text = enc.toString('latin1').replace(/^(age-encryption\.org\/v1\n-> scrypt \S+) 10\n/, `$1 ${logN}\n`);
  return Buffer.from(text, 'latin1');
}

describe('work limits of passphrase key derivation', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'lb-kdf-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** An `.enc` backup whose manifest's fingerprint records `iterations`. */
  async function encWithIterations(iterations: string): Promise<string> {
    const plain = join(dir, 'sms_backup_20260201_120000.sql.gz');
    await fs.writeFile(plain, gzipSync(Buffer.from('SELECT 1;\n'.repeat(1000))));
    const { path } = await encryptFile(plain, { format: 'openssl', passphrase: PASS, removePlaintext: true });
    const manifest = JSON.parse(await fs.readFile(`${path}.json`, 'utf8'));
    assert.equal(manifest.encryption.keyFingerprint, 'aes-256-cbc:pbkdf2-sha256:10000', 'what Lifeboat writes');
    manifest.encryption.keyFingerprint = `aes-256-cbc:pbkdf2-sha256:${iterations}`;
    await fs.writeFile(`${path}.json`, JSON.stringify(manifest));
    return path;
  }

  for (const iterations of ['0', '999', '20000000', '2147483647', '100000000000000000000']) {
    it(`refuses ${iterations} PBKDF2 iterations from a manifest at once, naming the count`, async function () {
      this.timeout(5000);
      const path = await encWithIterations(iterations);
      const started = Date.now();
      const keys = { key: async () => ({ passphrase: PASS }) };
      const shown = iterations.length > 20 ? `${iterations.slice(0, 20)}…` : iterations;
      const expected = (err: Error) => {
        assert.ok(err instanceof CryptoError, String(err));
        assert.equal(err.code, 'unsupported');
        assert.ok(
          err.message.includes(
            `iteration count ${Number(iterations)} (recorded in the manifest as ${shown}) is not an integer from 1000 to 10,000,000`,
          ),
          err.message,
        );
        assert.match(String(err.hint), /Lifeboat writes 10000/);
        return true;
      };
      await assert.rejects(openBackupSource(path, { keys }), (err: Error) => expected(err) && /^"sms_backup_\S+\.enc": /.test(err.message));
      await assert.rejects(
        decryptFile(path, { key: { passphrase: PASS } }),
        (err: Error) => expected(err) && /^Cannot decrypt "sms_backup_\S+\.enc": /.test(err.message),
      );
      assert.ok(Date.now() - started < 2000, `refused in ${Date.now() - started} ms, before deriving anything`);
    });
  }

  it('the same bounds when encrypting or told a count; 1000 and 10,000,000 pass', async () => {
    for (const iterations of [0, 1, 999, 10_000_001, 1e20, 1.5]) {
      assert.throws(() => new OpensslEncrypt({ passphrase: PASS, iterations }), /is not an integer from 1000 to 10,000,000/);
      assert.throws(() => new OpensslDecrypt({ passphrase: PASS, iterations }), /is not an integer from 1000 to 10,000,000/);
    }
    const enc = await mustRun(new OpensslEncrypt({ passphrase: PASS, iterations: 1000 }), Buffer.from('low\n'));
    assert.equal((await mustRun(new OpensslDecrypt({ passphrase: PASS, kdf: 'pbkdf2', iterations: 1000 }), enc)).toString(), 'low\n');
    assert.doesNotThrow(() => new OpensslDecrypt({ passphrase: PASS, iterations: 10_000_000 }));
  });

  for (const logN of ['21', '22', '64', '1000000000000000000000']) {
    it(`refuses an age scrypt work factor of ${logN.length > 12 ? 'a huge number' : logN} at once, naming it`, async function () {
      this.timeout(5000);
      const started = Date.now();
      const { err } = await runTransform(new AgeDecrypt({ passphrase: PASS }), await ageWithWorkFactor(logN));
      assert.ok(err instanceof CryptoError, String(err));
      assert.equal(err.code, 'unsupported');
      const shown = logN.length > 12 ? `${logN.slice(0, 12)}…` : logN;
      assert.ok(err.message.startsWith(`the file's passphrase work factor is ${shown} (scrypt N = 2^${shown}`), err.message);
      assert.match(err.message, /above Lifeboat's maximum 20 \(1024 MiB\)/);
      if (logN === '21') assert.match(err.message, /2048 MiB of memory per try/);
      assert.match(String(err.hint), /age -d/);
      assert.ok(Date.now() - started < 2000, `refused in ${Date.now() - started} ms`);
    });
  }

  it('refuses to write a work factor above the maximum', async () => {
    const { err } = await runTransform(new AgeEncrypt({ passphrase: PASS, workFactor: 21 }), Buffer.from('x'));
    assert.match(String(err?.message), /the scrypt work factor 21 is not an integer from 1 to 20/);
  });

  it('explains a scrypt that runs out of memory instead of a bare "malloc failure"', async function () {
    this.timeout(60_000);
    const file = join(dir, 'wf20.age');
    await fs.writeFile(file, await ageWithWorkFactor('20'));
    // Below scrypt's 1 GiB table at work factor 20 plus what Node itself maps: the allocation fails.
    const script = `
      const { AgeDecrypt } = require(${JSON.stringify(require.resolve('../../../src/core/crypto/ageDecrypt'))});
      const d = new AgeDecrypt({ passphrase: ${JSON.stringify(PASS)} });
      d.on('error', (e) => { console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })); });
      d.on('data', () => {});
      d.end(require('fs').readFileSync(${JSON.stringify(file)}));
    `;
    const out = await new Promise<string>((resolve) =>
      execFile('bash', ['-c', 'ulimit -v 1500000; exec "$0" -e "$1"', process.execPath, script], (_e, stdout, stderr) =>
        resolve(stdout || stderr),
      ),
    );
    let parsed: { code?: string; message?: string; hint?: string };
    try {
      parsed = JSON.parse(out.trim().split('\n').at(-1) ?? '');
    } catch {
      // Node could not start, or the allocation succeeded, under this limit here: nothing to check.
      return this.skip();
    }
    assert.equal(parsed.code, 'unsupported', JSON.stringify(parsed));
    assert.match(
      String(parsed.message),
      /^the passphrase key derivation \(scrypt, work factor 20, 1024 MiB of memory\) failed: .*malloc failure/,
    );
    assert.match(String(parsed.hint), /more memory/);
  });
});
