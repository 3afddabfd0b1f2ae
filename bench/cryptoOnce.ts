// One Lifeboat encryption or decryption in a process of its own, so its peak RSS is measured alone.
// Usage: node out/bench/cryptoOnce.js <age-enc|age-dec|openssl-enc|openssl-dec> <in> <out> <key>
//   age-enc: key is an age1… recipient; age-dec: an identity file; openssl-*: a key file.
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AgeDecrypt, AgeEncrypt, parseAgeIdentityFile, readKeyFile, OpensslDecrypt, OpensslEncrypt } from '../src/core/crypto';

async function transformFor(op: string, key: string): Promise<Transform> {
  switch (op) {
    case 'age-enc':
      return new AgeEncrypt({ recipients: [key] });
    case 'age-dec':
      return new AgeDecrypt({ identities: parseAgeIdentityFile(await fs.readFile(key, 'utf8')) });
    case 'openssl-enc':
      return new OpensslEncrypt({ passphrase: await readKeyFile(key) });
    case 'openssl-dec':
      return new OpensslDecrypt({ passphrase: await readKeyFile(key), kdf: 'pbkdf2' });
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

async function main(): Promise<void> {
  const [op, input, output, key] = process.argv.slice(2);
  const transform = await transformFor(op, key);
  const started = process.hrtime.bigint();
  await pipeline(createReadStream(input, { highWaterMark: 1 << 20 }), transform, createWriteStream(output));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // maxRSS is in kilobytes.
  process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
