// Encryption and decryption: Lifeboat against the `age` CLI and `openssl enc`, same file, same run.
// Not a test: it prints times, ratios and peak RSS for the issue notes.
// Standalone: node out/bench/crypto.js [file]   (without a file, 200 MiB of random data is made)
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAgeKeyPair } from '../src/core/crypto';
import { ROUNDS, Sample, best, line as sampleLine, run, runOnFile, sha256, timeCli } from './sample';

const ONCE = join(__dirname, 'cryptoOnce.js');

async function timeOurs(op: string, input: string, output: string, key: string): Promise<Sample> {
  const { stdout } = await run(process.execPath, [ONCE, op, input, output, key]);
  return JSON.parse(stdout) as Sample;
}

const line = (label: string, bytes: number, s: Sample, reference?: Sample) => sampleLine(label, bytes, s, 34, reference);

export async function benchCrypto(file: string): Promise<void> {
  const bytes = (await fs.stat(file)).size;
  const dir = await fs.mkdtemp(join(tmpdir(), 'lifeboat-bench-crypto-'));
  try {
    const keys = generateAgeKeyPair();
    const identity = join(dir, 'identity.txt');
    await fs.writeFile(identity, `${keys.identity}\n`, { mode: 0o600 });
    const keyFile = join(dir, 'backup_key');
    await fs.writeFile(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const o = (name: string) => join(dir, name);
    const expected = await sha256(file);

    console.log(`crypto on ${file}: ${(bytes / (1 << 20)).toFixed(0)} MiB, best of ${ROUNDS}`);
    const ageEnc = await best(() => timeCli('age', ['-r', keys.recipient, '-o', o('cli.age'), file]));
    const oursAgeEnc = await best(() => timeOurs('age-enc', file, o('ours.age'), keys.recipient));
    const ageDec = await best(() => timeCli('age', ['-d', '-i', identity, '-o', o('cli.age.out'), o('ours.age')]));
    const oursAgeDec = await best(() => timeOurs('age-dec', o('cli.age'), o('ours.age.out'), identity));
    const sslArgs = ['enc', '-aes-256-cbc', '-pbkdf2', '-pass', `file:${keyFile}`];
    const sslEnc = await best(() => timeCli('openssl', [...sslArgs, '-in', file, '-out', o('cli.enc')]));
    const oursSslEnc = await best(() => timeOurs('openssl-enc', file, o('ours.enc'), keyFile));
    const sslDec = await best(() => timeCli('openssl', [...sslArgs, '-d', '-in', o('ours.enc'), '-out', o('cli.enc.out')]));
    const oursSslDec = await best(() => timeOurs('openssl-dec', o('cli.enc'), o('ours.enc.out'), keyFile));

    for (const out of ['cli.age.out', 'ours.age.out', 'cli.enc.out', 'ours.enc.out']) {
      if ((await sha256(o(out))) !== expected) throw new Error(`${out} does not match the input`);
    }
    console.log(line('age CLI encrypt (X25519)', bytes, ageEnc));
    console.log(line('Lifeboat age encrypt', bytes, oursAgeEnc, ageEnc));
    console.log(line('age CLI decrypt', bytes, ageDec));
    console.log(line('Lifeboat age decrypt', bytes, oursAgeDec, ageDec));
    console.log(line('openssl enc -pbkdf2 encrypt', bytes, sslEnc));
    console.log(line('Lifeboat OpenSSL encrypt', bytes, oursSslEnc, sslEnc));
    console.log(line('openssl enc -pbkdf2 decrypt', bytes, sslDec));
    console.log(line('Lifeboat OpenSSL decrypt', bytes, oursSslDec, sslDec));
    console.log("(every output decrypted back to the input's sha256; target: at most 2x openssl enc's time, peak RSS ≤ 150 MiB)");
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

runOnFile(module, 'backup.sql.gz', benchCrypto);
