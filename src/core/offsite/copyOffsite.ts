import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AgeEncrypt, OpensslEncrypt } from '../crypto';
import {
  errorText,
  CancelledError,
  LifeboatError,
  formatBytesExact,
  fsError,
  throwIfAborted,
  silentLogger,
  OperationOptions,
  noProgress,
  toolVersion,
} from '../common';
import { ENCRYPTED_EXTENSIONS, encryptionFingerprint } from '../encryption';
import { HashStream } from '../streams';
import { Manifest, MANIFEST_VERSION, contentSha256, readManifest, KIND_FOLDERS, manifestName, parseBackupName } from '../store';
import type { Destination, PendingWrite } from './destination';

/** The key an unencrypted backup is encrypted with on its way off-site (as Encrypt Backup takes it). */
export interface OffsiteKey {
  format: 'age' | 'openssl';
  passphrase?: string | Uint8Array;
  recipients?: readonly string[];
  /** age scrypt work factor; tests lower it. */
  workFactor?: number;
}

export interface CopyOffsiteOptions extends OperationOptions {
  /** `lifeboat.offsite.requireEncryption`: plaintext never leaves the machine. */
  requireEncryption: boolean;
  /** Used only for an unencrypted backup when encryption is required. */
  key?: OffsiteKey;
}

export interface CopyOffsiteResult {
  /** Relative to the destination's root: "database/sms_backup_….sql.gz.age". */
  remotePath: string;
  bytes: number;
  sha256: string;
  /** `skipped`: the same backup (same sha256) was already there and nothing was sent. */
  outcome: 'copied' | 'skipped';
  encrypted: boolean;
  /** How the copy was checked where it landed: read back, or proven by the storage's own SHA256 checksums (S3). */
  checkedBy?: 'read back' | 'checksums';
}

/**
 * Copies one backup to a destination, mirroring the local layout (`database/`, `config/`,
 * `volumes/`, each file with its `.json` manifest). Streams end to end (memory stays flat);
 * the data goes under a partial name (or, on S3, into a multipart upload that appears only
 * when completed), is checked for size and sha256 where it landed (read back, or proven by the
 * storage's own checksums), and only then counts; the manifest follows its data. A copy already
 * at the destination with the same content sha256 is not sent again. A cancel or a failure
 * leaves no partial there. With `requireEncryption`, an unencrypted backup is encrypted on the
 * way (with `key`) or refused.
 */
export async function copyOffsite(backup: string, destination: Destination, opts: CopyOffsiteOptions): Promise<CopyOffsiteResult> {
  const log = opts.logger ?? silentLogger;
  const progress = opts.progress ?? noProgress;
  throwIfAborted(opts.signal);
  const name = basename(backup);
  const parsed = parseBackupName(name);
  if (!parsed) {
    throw new LifeboatError(
      `"${name}" is not a Lifeboat or runbook backup name, so there is no place for it off-site.`,
      'Choose a backup from the backup folder.',
    );
  }
  const st = await fs.stat(backup).catch((err) => {
    throw fsError(err, 'read the backup', backup);
  });
  const { manifest: local } = await readManifest(backup);
  const ownManifest = local && local.file.name === name ? local : undefined;

  const encrypt = !parsed.encryption && opts.requireEncryption;
  if (encrypt && !usableKey(opts.key)) {
    throw new LifeboatError(
      `"${name}" is not encrypted, and the setting lifeboat.offsite.requireEncryption keeps unencrypted backups from leaving this machine. Nothing was copied.`,
      'Set a key: lifeboat.encryption.keyFile (a passphrase file, mode 600) or lifeboat.encryption.recipients (age public keys), or encrypt the backup first. To copy it unencrypted, turn lifeboat.offsite.requireEncryption off.',
    );
  }
  await destination.check();
  const remoteName = encrypt ? name + ENCRYPTED_EXTENSIONS[opts.key!.format] : name;
  const remotePath = `${KIND_FOLDERS[parsed.kind]}/${remoteName}`;

  // The plaintext's sha256 names the backup whatever its ciphertext: age and OpenSSL salt every file.
  const expectedContent = contentSha256(ownManifest);
  const already = await sameCopyThere(destination, remotePath, expectedContent, encrypt);
  if (already) {
    log.info(`${remotePath} is already at ${destination.describe()} with the same sha256; nothing was sent.`);
    return {
      remotePath,
      bytes: already.file.bytes,
      sha256: already.file.sha256!,
      outcome: 'skipped',
      encrypted: encrypt || !!parsed.encryption,
    };
  }

  const phase = `Copying ${name} to ${destination.describe()}`;
  progress({ phase, bytes: 0, total: st.size });
  const source = new HashStream((bytes) => progress({ phase, bytes, total: st.size }));
  // Unencrypted, the bytes sent are the bytes read: one sha256 of them is enough.
  const sent = encrypt ? new HashStream() : source;
  let pending: PendingWrite | undefined;
  try {
    pending = await destination.write(remotePath).catch((err) => {
      throw destinationError(err, `write the copy of "${name}"`, destination);
    });
    const stages: (Readable | Transform | Writable)[] = [createReadStream(backup), source];
    if (encrypt) stages.push(encryptor(opts.key!), sent);
    stages.push(pending.stream);
    try {
      await pipeline(stages as unknown as [Readable, ...Transform[], Writable], { signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError();
      throw destinationError(err, `write the copy of "${name}"`, destination);
    }
    const localSha = source.digest();
    const recorded = ownManifest?.file.sha256;
    if (recorded && recorded !== localSha) {
      throw new LifeboatError(
        `"${name}" does not match the sha256 its manifest recorded: it changed or is corrupt since it was made. Nothing was copied.`,
        'Verify the backup, or make a new one and copy that.',
      );
    }

    // What counts is what the destination holds: proven by its own checksums where it has them, else read back.
    const checking = `Checking the copy at ${destination.describe()}`;
    progress({ phase: checking, bytes: 0, total: sent.bytes });
    throwIfAborted(opts.signal);
    const proven = pending.commitProven ? await pending.commitProven({ bytes: sent.bytes, sha256: sent.digest() }) : false;
    if (!proven) {
      const check = new HashStream((bytes) => progress({ phase: checking, bytes, total: sent.bytes }));
      try {
        await pipeline(await pending.readBack(), check, sink(), { signal: opts.signal });
      } catch (err) {
        if (opts.signal?.aborted) throw new CancelledError();
        throw destinationError(err, `read back the copy of "${name}"`, destination);
      }
      // Equal digests imply equal sizes, so a mismatch always has a different sha256.
      if (check.bytes !== sent.bytes || check.digest() !== sent.digest()) {
        throw new LifeboatError(
          `The copy of "${name}" at ${destination.describe()} does not match what was sent (${formatBytesExact(check.bytes)} read back, ${formatBytesExact(sent.bytes)} sent, a different sha256). It was removed.`,
          'The destination disk or share may be failing or full; check it and retry.',
        );
      }
      throwIfAborted(opts.signal);
    }
    await pending.commit();
    pending = undefined;

    const manifest = remoteManifest(ownManifest, parsed, name, st, localSha, {
      file: { name: remoteName, bytes: sent.bytes, sha256: sent.digest() },
      encryption: encrypt
        ? { format: opts.key!.format, keyFingerprint: encryptionFingerprint(opts.key!), plaintextSha256: localSha }
        : ownManifest?.encryption,
    });
    try {
      await writeSmall(destination, manifestName(remotePath), JSON.stringify(manifest, null, 2) + '\n', opts.signal);
    } catch (err) {
      // Without its manifest the copy is not recognised as checked, so it does not count either.
      await destination.remove(remotePath).catch(() => undefined);
      throw err;
    }
    log.info(
      `Copied ${backup} to ${destination.describe()} as ${remotePath} (${formatBytesExact(sent.bytes)}, sha256 ${sent.digest()}, ${proven ? "proven by the storage's own SHA256 checksums" : 'read back and checked'}${encrypt ? `, encrypted with ${opts.key!.format}` : ''}).`,
    );
    return {
      remotePath,
      bytes: sent.bytes,
      sha256: sent.digest(),
      outcome: 'copied',
      encrypted: encrypt || !!parsed.encryption,
      checkedBy: proven ? 'checksums' : 'read back',
    };
  } finally {
    if (pending) await pending.abort();
  }
}

/**
 * A file-system error at the destination, said as such: the local backup folder's advice
 * (lifeboat.backupDirectory) would point at the wrong disk.
 */
function destinationError(err: unknown, action: string, destination: Destination): LifeboatError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (err instanceof LifeboatError && !code) return err;
  const at = destination.describe();
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new LifeboatError(
      `The off-site destination ${at} is full (${code}): could not ${action}. Nothing was left there, and the local backup is unchanged.`,
      'Free space on that disk, or point lifeboat.offsite.destination at a larger one, then copy again.',
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new LifeboatError(
      `Cannot ${action}: ${at} is not writable (${code}). The local backup is unchanged.`,
      "Fix the folder's permissions (or mount it read-write), or point lifeboat.offsite.destination elsewhere.",
    );
  }
  return new LifeboatError(
    `Cannot ${action} at ${at}: ${errorText(err)}. The local backup is unchanged.`,
    'Check that the destination is reachable and retry.',
  );
}

function usableKey(key: OffsiteKey | undefined): boolean {
  if (!key) return false;
  if (key.format === 'openssl') return key.passphrase !== undefined;
  return key.passphrase !== undefined || !!key.recipients?.length;
}

function encryptor(key: OffsiteKey): Transform {
  if (key.format === 'openssl') return new OpensslEncrypt({ passphrase: key.passphrase! });
  if (key.recipients?.length) return new AgeEncrypt({ recipients: key.recipients });
  return new AgeEncrypt({ passphrase: key.passphrase!, workFactor: key.workFactor });
}

/** The remote manifest when the copy there holds the same content, its size matching. */
async function sameCopyThere(
  destination: Destination,
  remotePath: string,
  contentSha: string | undefined,
  encrypted: boolean,
): Promise<Manifest | undefined> {
  if (!contentSha) return undefined;
  const entry = await destination.stat(remotePath);
  if (!entry) return undefined;
  const remote = await readRemoteManifest(destination, manifestName(remotePath));
  if (!remote || remote.file.bytes !== entry.bytes || !remote.file.sha256) return undefined;
  const remoteContent = encrypted ? remote.encryption?.plaintextSha256 : contentSha256(remote);
  return remoteContent === contentSha ? remote : undefined;
}

/** A manifest at the destination, or undefined when it is missing or not one of ours. */
export async function readRemoteManifest(destination: Destination, path: string): Promise<Manifest | undefined> {
  if (!(await destination.stat(path))) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await destination.read(path)) {
    size += (chunk as Buffer).length;
    // A manifest is a few kilobytes; anything far bigger is not one.
    if (size > 4 * 1024 * 1024) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest;
    return typeof parsed?.formatVersion === 'number' && parsed.file && typeof parsed.file.bytes === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function writeSmall(destination: Destination, path: string, text: string, signal?: AbortSignal): Promise<void> {
  const pending = await destination.write(path);
  let done = false;
  try {
    const body = Buffer.from(text);
    await pipeline(Readable.from([body]), pending.stream, { signal });
    const sha256 = createHash('sha256').update(body).digest('hex');
    const proven = pending.commitProven ? await pending.commitProven({ bytes: body.length, sha256 }) : false;
    const check = new HashStream();
    if (!proven) await pipeline(await pending.readBack(), check, sink(), { signal });
    if (!proven && (check.bytes !== body.length || check.digest() !== sha256))
      throw new LifeboatError(
        `The manifest ${path} at ${destination.describe()} did not read back whole.`,
        'Check the destination disk or share and retry.',
      );
    await pending.commit();
    done = true;
  } catch (err) {
    if (signal?.aborted) throw new CancelledError();
    if (err instanceof LifeboatError) throw err;
    throw destinationError(err, `write the manifest ${path}`, destination);
  } finally {
    if (!done) await pending.abort();
  }
}

function remoteManifest(
  local: Manifest | undefined,
  parsed: { kind: Manifest['kind']; time: Date },
  name: string,
  st: { size: number },
  sha256: string,
  fields: Pick<Manifest, 'file' | 'encryption'>,
): Manifest {
  // A backup name always carries its time, as the catalog dates an adopted runbook file.
  const base: Manifest = local ?? {
    formatVersion: MANIFEST_VERSION,
    kind: parsed.kind,
    createdAt: parsed.time.toISOString(),
    tool: { name: 'lifeboat', version: toolVersion },
    source: {},
    compression: { format: 'gzip' },
    file: { name, bytes: st.size, sha256 },
    adoptedAt: new Date().toISOString(),
    verifications: [],
  };
  return { ...base, file: fields.file, encryption: fields.encryption };
}

function sink(): Writable {
  return new Writable({ write: (_c, _e, done) => done() });
}
