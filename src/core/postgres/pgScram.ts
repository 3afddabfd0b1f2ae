import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it: no channel
 * binding, and an empty user name in the messages because the server takes the name from the
 * startup packet. The server's final signature is checked, so a server that does not know the
 * password cannot pretend the login worked.
 */
export class ScramClient {
  private readonly clientFirstBare: string;
  private expectedServerSignature?: Buffer;

  constructor(
    private readonly password: string,
    /** Fixed only by tests, to replay RFC 7677's example. */
    private readonly nonce = randomBytes(18).toString('base64'),
    user = '',
  ) {
    this.clientFirstBare = `n=${user},r=${nonce}`;
  }

  clientFirst(): string {
    return `n,,${this.clientFirstBare}`;
  }

  clientFinal(serverFirst: string): string {
    const attrs = attributes(serverFirst);
    const serverNonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (
      !serverNonce?.startsWith(this.nonce) ||
      serverNonce.length === this.nonce.length ||
      !salt ||
      !Number.isInteger(iterations) ||
      iterations < 1
    ) {
      throw new Error('the server sent an invalid SCRAM challenge');
    }
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${serverNonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
    this.expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Throws unless the server proved that it knows the password too. */
  checkServerFinal(serverFinal: string): void {
    const attrs = attributes(serverFinal);
    if (attrs.has('e')) throw new Error(`SCRAM authentication failed: ${attrs.get('e')}`);
    const got = Buffer.from(attrs.get('v') ?? '', 'base64');
    const want = this.expectedServerSignature;
    if (!want || got.length !== want.length || !timingSafeEqual(got, want))
      throw new Error('the server could not prove it knows the password (SCRAM signature mismatch)');
  }
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.length >= 2 && part[1] === '=') out.set(part[0], part.slice(2));
  }
  return out;
}
