import { createCipheriv } from 'node:crypto';
import { hkdfSha256, openChaCha, TAG_BYTES } from './aead';

/** Plaintext bytes per STREAM chunk; the age spec fixes it. */
export const PLAIN_CHUNK = 64 * 1024;
export const SEALED_CHUNK = PLAIN_CHUNK + TAG_BYTES;
export const PAYLOAD_NONCE_BYTES = 16;

export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdfSha256(fileKey, nonce, 'payload');
}

/**
 * STREAM's nonce: an 11-byte big-endian chunk counter and a flag byte that is 1 only on the
 * last chunk, so dropping or reordering chunks, or cutting at a chunk boundary, fails to verify.
 */
function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  // 2^48 chunks are 16 EiB; the upper five counter bytes stay zero for any real file.
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

export function sealChunk(key: Buffer, counter: number, last: boolean, plain: Uint8Array): [Buffer, Buffer] {
  const cipher = createCipheriv('chacha20-poly1305', key, chunkNonce(counter, last), { authTagLength: TAG_BYTES });
  const body = cipher.update(plain);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/** The chunk's plaintext only once its tag verified; undefined otherwise. */
export function openChunk(key: Buffer, counter: number, last: boolean, sealed: Uint8Array): Buffer | undefined {
  return openChaCha(key, chunkNonce(counter, last), sealed);
}
