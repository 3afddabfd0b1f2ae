import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type HostKeyVerdict = { ok: true } | { ok: false; reason: 'unknown' | 'changed'; fingerprint: string; knownHosts: string };

/** OpenSSH's way of writing a key's fingerprint: SHA256:<base64 of the blob's sha256, unpadded>. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** How known_hosts names a host: the bare name on port 22, `[name]:port` otherwise. */
function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** One host field: a comma list of names or a hashed `|1|salt|hash`. Wildcards and negations are left to ssh itself. */
function fieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return field.split(',').includes(name);
}

/**
 * Checks a server's host key against the user's known_hosts, as `ssh` with StrictHostKeyChecking
 * would: a listed key of the same type passes; a host listed only with other keys of that type
 * has changed key (possibly an attack); a host not listed is unknown. Neither is accepted here:
 * the user checks the fingerprint and adds it with ssh, which also fixes the Docker CLI.
 */
export function checkHostKey(
  host: string,
  port: number,
  keyBlob: Buffer,
  knownHosts = path.join(os.homedir(), '.ssh', 'known_hosts'),
): HostKeyVerdict {
  let text = '';
  try {
    text = fs.readFileSync(knownHosts, 'utf8');
  } catch {
    // No file: every host is unknown.
  }
  const name = hostPattern(host, port);
  const type = keyType(keyBlob);
  const offered = keyBlob.toString('base64');
  let sameTypeListed = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    // A leading @cert-authority or @revoked marker: revoked keys never pass; CA lines are ssh's business.
    const marker = parts[0].startsWith('@') ? parts.shift() : undefined;
    const [hosts, ktype, blob] = parts;
    if (!hosts || !ktype || !blob || !fieldMatches(hosts, name)) continue;
    if (marker === '@revoked' && blob === offered) return { ok: false, reason: 'changed', fingerprint: fingerprint(keyBlob), knownHosts };
    if (marker) continue;
    if (ktype !== type) continue;
    if (blob === offered) return { ok: true };
    sameTypeListed = true;
  }
  return { ok: false, reason: sameTypeListed ? 'changed' : 'unknown', fingerprint: fingerprint(keyBlob), knownHosts };
}

/** The key type named at the start of an SSH public key blob (a length-prefixed string). */
function keyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}
