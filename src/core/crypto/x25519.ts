import { createPrivateKey, createPublicKey, diffieHellman, KeyObject } from 'node:crypto';

/*
 * Raw 32-byte X25519 keys through DER, the one import path Node 20 takes for raw keys without
 * needing the public half of a private key. The prefixes are the fixed ASN.1 of RFC 8410.
 */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export function x25519PrivateKey(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

export function x25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function rawPublicKey(key: KeyObject): Buffer {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

export function rawPrivateKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return der.subarray(der.length - 32);
}

/**
 * The shared secret, or undefined when the peer's share is a low-order point (OpenSSL refuses
 * an all-zero result, which the age spec requires rejecting).
 */
export function x25519(privateKey: KeyObject, peerRaw: Uint8Array): Buffer | undefined {
  try {
    const shared = diffieHellman({ privateKey, publicKey: x25519PublicKey(peerRaw) });
    return shared.every((b) => b === 0) ? undefined : shared;
  } catch {
    return undefined;
  }
}
