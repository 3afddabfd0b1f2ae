import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CryptoError,
  OpensslDecrypt,
  OpensslDecryptOptions,
  OpensslEncrypt,
  evpBytesToKey,
  opensslKeyFingerprint,
  looksLikePlaintext,
} from '../../../src/core/crypto';
import { mustRun, randomBytes, randomPieces, runTransform, sizes } from './streamHelpers';

const dir = mkdtempSync(join(tmpdir(), 'lb-openssl-'));
const PASS = 'runbook key with spaces & $igns';

function sqlLike(bytes: number): Buffer {
  const line = "INSERT INTO students VALUES (1, 'Ada', 'ada@example.com');\n";
  return Buffer.from(line.repeat(Math.ceil(bytes / line.length) || 1)).subarray(0, bytes);
}

/** Encrypts with the real openssl CLI; `extra` picks the key derivation. */
function opensslEnc(plain: Buffer, extra: string[], pass = PASS): Buffer {
  const src = join(dir, 'in');
  const out = join(dir, 'out.enc');
  writeFileSync(src, plain);
  execFileSync('openssl', ['enc', '-aes-256-cbc', ...extra, '-in', src, '-out', out, '-pass', `pass:${pass}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  return readFileSync(out);
}

function opensslDec(enc: Buffer, extra: string[], pass = PASS): Buffer {
  const src = join(dir, 'dec.enc');
  writeFileSync(src, enc);
  return execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', ...extra, '-in', src, '-pass', `pass:${pass}`], { maxBuffer: 1 << 30 });
}

const KDFS: Array<[OpensslDecryptOptions['kdf'], string[]]> = [
  ['pbkdf2', ['-pbkdf2']],
  ['sha256', ['-md', 'sha256']],
  ['md5', ['-md', 'md5']],
];

describe('OpenSSL enc', () => {
  for (const [kdf, args] of KDFS) {
    it(`reads \`openssl enc ${args.join(' ')}\` files, told and detected, at every size`, async () => {
      for (const size of sizes) {
        const plain = gzipSync(sqlLike(size));
        const enc = opensslEnc(plain, args);
        for (const mode of [kdf, 'detect'] as const) {
          // The derivation found is reported, so a second read of the file need not detect it again.
          let reported: string | undefined;
          const decrypt = new OpensslDecrypt({ passphrase: PASS, kdf: mode, onKdf: (k) => (reported = k) });
          const out = await mustRun(decrypt, randomPieces(enc, 5000));
          assert.ok(out.equals(plain), `${kdf} ${mode} ${size}`);
          assert.equal(reported, kdf, `${kdf} ${mode} ${size}`);
        }
      }
    });
  }

  it('detects the key derivation of plain SQL text, tar and tiny files', async () => {
    const tar = Buffer.alloc(1024);
    tar.write('ustar\x0000', 257, 'latin1');
    for (const plain of [sqlLike(10_000), tar, Buffer.from('x'), Buffer.alloc(0), Buffer.from('héllo wörld\n')]) {
      for (const [, args] of KDFS) {
        const out = await mustRun(new OpensslDecrypt({ passphrase: PASS }), opensslEnc(plain, args));
        assert.ok(out.equals(plain), `${args} ${plain.length}`);
      }
    }
  });

  it('reads -iter N when told N, and with the default derivation order otherwise fails cleanly', async () => {
    const plain = gzipSync(sqlLike(50_000));
    const enc = opensslEnc(plain, ['-pbkdf2', '-iter', '1234']);
    assert.ok((await mustRun(new OpensslDecrypt({ passphrase: PASS, iterations: 1234 }), enc)).equals(plain));
    const { out, err } = await runTransform(new OpensslDecrypt({ passphrase: PASS }), enc);
    assert.equal(err?.message, 'wrong passphrase, or not encrypted with these options');
    assert.equal(out.length, 0);
  });

  it('writes files `openssl enc -d -pbkdf2` reads, at every size and iteration count', async () => {
    for (const size of sizes) {
      const plain = randomBytes(size);
      const enc = await mustRun(new OpensslEncrypt({ passphrase: PASS }), randomPieces(plain, 7000));
      assert.equal(enc.subarray(0, 8).toString(), 'Salted__');
      assert.ok(opensslDec(enc, ['-pbkdf2']).equals(plain), `size ${size}`);
      assert.ok((await mustRun(new OpensslDecrypt({ passphrase: PASS, kdf: 'pbkdf2' }), enc)).equals(plain));
    }
    const enc = await mustRun(new OpensslEncrypt({ passphrase: PASS, iterations: 600_000 }), Buffer.from('slow\n'));
    assert.equal(opensslDec(enc, ['-pbkdf2', '-iter', '600000']).toString(), 'slow\n');
  });

  it('turns a wrong passphrase into one clear error, told or detected', async () => {
    const plain = gzipSync(sqlLike(100_000));
    for (const [kdf, args] of KDFS) {
      const enc = opensslEnc(plain, args);
      for (const mode of [kdf, 'detect'] as const) {
        const { out, err } = await runTransform(new OpensslDecrypt({ passphrase: 'not it', kdf: mode }), enc);
        assert.ok(err instanceof CryptoError, String(err));
        assert.equal(err.code, 'wrong-key');
        assert.equal(err.message, 'wrong passphrase, or not encrypted with these options');
        // Detection decides before any output; a told derivation can only find out at the end.
        if (mode === 'detect') assert.equal(out.length, 0);
      }
    }
  });

  it('says what is wrong with a foreign, truncated or damaged file', async () => {
    // Larger than the detection probe, so the damaged end is not part of the detection.
    const plain = gzipSync(randomBytes(20_000));
    const enc = opensslEnc(plain, ['-pbkdf2']);
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('age-encryption.org/v1\n'), 'not-encrypted'],
      [Buffer.alloc(0), 'not-encrypted'],
      [enc.subarray(0, 10), 'truncated'],
      [enc.subarray(0, 16), 'truncated'],
      [enc.subarray(0, enc.length - 5), 'truncated'],
    ];
    const lastBlock = Buffer.from(enc);
    lastBlock[lastBlock.length - 1] ^= 0x55;
    cases.push([lastBlock, 'tampered']);
    for (const [data, code] of cases) {
      const { err } = await runTransform(new OpensslDecrypt({ passphrase: PASS }), data);
      assert.equal((err as CryptoError)?.code, code, `${data.length}: ${err}`);
    }
  });

  it('derives keys like EVP_BytesToKey (openssl -P shows them)', () => {
    const salt = Buffer.from('0102030405060708', 'hex');
    for (const md of ['md5', 'sha256'] as const) {
      const printed = execFileSync(
        'openssl',
        ['enc', '-aes-256-cbc', '-md', md, '-P', '-S', salt.toString('hex'), '-pass', `pass:${PASS}`],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      ).toString();
      const { key, iv } = evpBytesToKey(md, Buffer.from(PASS), salt);
      assert.match(printed, new RegExp(`key=${key.toString('hex').toUpperCase()}`));
      assert.match(printed, new RegExp(`iv =${iv.toString('hex').toUpperCase()}`));
    }
  });

  it('recognises backup plaintext and not noise', () => {
    assert.ok(looksLikePlaintext(gzipSync(Buffer.from('x'))));
    assert.ok(looksLikePlaintext(sqlLike(4096)));
    let noise = 0;
    for (let i = 0; i < 2000; i++) if (looksLikePlaintext(randomBytes(4096))) noise++;
    assert.equal(noise, 0);
  });

  it('text cut inside a multi-byte character is still text; bytes that are not UTF-8 are not', () => {
    const text = Buffer.from('-- Schüler und Prüfungen: 成绩\n'.repeat(20));
    for (let cut = 1; cut <= 3; cut++) assert.ok(looksLikePlaintext(text.subarray(0, text.lastIndexOf(0xe7) + cut)), `cut ${cut}`);
    assert.equal(looksLikePlaintext(Buffer.from('SELECT \xff\xfe 1;', 'latin1')), false);
    assert.equal(looksLikePlaintext(Buffer.from([0x41, 0xc3, 0x28, 0x41, 0x42, 0x43, 0x44, 0x45])), false);
  });

  it('fingerprints the derivation, never the passphrase', () => {
    assert.equal(opensslKeyFingerprint('pbkdf2'), 'aes-256-cbc:pbkdf2-sha256:10000');
    assert.equal(opensslKeyFingerprint('sha256'), 'aes-256-cbc:evp-bytestokey-sha256');
  });
});
