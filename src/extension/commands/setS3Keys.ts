import * as vscode from 'vscode';
import { LifeboatError, isCancelled } from '../../core/common';
import { S3Destination, parseDestination, s3Code } from '../../core/offsite';
import type { S3Credentials } from '../../core/offsite';
import type { Lifeboat } from '../lifeboat';
import { SavedSecrets, secretScope } from '../savedSecrets';
import { S3KeyStore, maskKeyId } from '../s3KeyStore';
import { runWithProgress } from '../ui/runWithProgress';

/**
 * "Lifeboat: Set Off-site S3 Keys…" (palette, and the button of an error about missing or
 * refused S3 credentials): asks the access key ID, the secret access key and an optional
 * session token, lists the configured bucket with exactly those keys, and only when that worked
 * keeps them in the OS keychain for this workspace and destination. Resolves true when saved.
 */
export async function setS3Keys(lb: Lifeboat): Promise<boolean> {
  const settings = lb.stacks.settings;
  const destination = parseDestination(settings.offsiteDestination, { s3: settings.offsiteS3 });
  if (!destination) {
    throw new LifeboatError(
      'No off-site destination is set, so there is no S3 storage to save keys for.',
      'Set lifeboat.offsite.destination to "s3://bucket/prefix" (and lifeboat.offsite.s3.endpoint for storage other than AWS), then set the keys.',
    );
  }
  if (!(destination instanceof S3Destination)) {
    throw new LifeboatError(
      `The off-site destination ${destination.describe()} is not S3 storage, so it takes no S3 keys.`,
      'An SFTP server logs in with a key file or ssh-agent (lifeboat.offsite.sftp.identityFile); a folder needs no keys.',
    );
  }
  const where = destination.describe();
  const keys = await askKeys(lb, where);
  if (!keys) return false;

  const probe = new S3Destination(destination.location, { ...destination.options, credentials: keys });
  try {
    await runWithProgress(`Lifeboat: Checking the S3 keys against ${where}`, () => probe.check());
  } catch (err) {
    throw isCancelled(err) ? err : notSaved(err, where, destination.location.bucket, keys.accessKeyId);
  } finally {
    await probe.close();
  }

  await new S3KeyStore(new SavedSecrets(lb.context.secrets), secretScope(lb.stacks.folder)).store(where, keys);
  lb.log.info(
    `The S3 keys for ${where} (access key "${maskKeyId(keys.accessKeyId)}") listed the bucket "${destination.location.bucket}" and were saved in the OS keychain.`,
  );
  lb.catalog.invalidate();
  void vscode.window.showInformationMessage(
    `Saved the S3 keys for ${where} in the OS keychain. Lifeboat uses them before an AWS profile or the environment; "Lifeboat: Forget Saved Passphrase" removes them.`,
  );
  return true;
}

async function askKeys(lb: Lifeboat, where: string): Promise<S3Credentials | undefined> {
  const accessKeyId = await lb.prompter.askText(`The access key ID for ${where} (AWS key IDs start with "AKIA").`, {
    title: 'Lifeboat: S3 access key ID (1/3)',
    password: false,
  });
  if (!accessKeyId) return undefined;
  const secretAccessKey = await lb.prompter.askText(
    `The secret access key of "${maskKeyId(accessKeyId)}". It is checked against the bucket, then kept in the OS keychain, never in settings.`,
    { title: 'Lifeboat: S3 secret access key (2/3)', password: true },
  );
  if (!secretAccessKey) return undefined;
  const sessionToken = await lb.prompter.askText(
    'A session token, only for temporary keys (from STS or SSO). For long-term keys leave it empty and press Enter.',
    { title: 'Lifeboat: S3 session token (3/3, optional)', password: true, optional: true },
  );
  if (sessionToken === undefined) return undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Why the typed keys were refused, said as such: an unknown key, a wrong secret, a key without rights, or the storage itself. */
function notSaved(err: unknown, where: string, bucket: string, accessKeyId: string): LifeboatError {
  const base = err instanceof LifeboatError ? err : undefined;
  const code = s3Code((err as { cause?: unknown })?.cause ?? err);
  const key = `"${maskKeyId(accessKeyId)}"`;
  const again = { cause: err, ui: 's3-keys-again' as const };
  const typo =
    'Check the access key ID and the secret access key (the storage shows a secret only once, when the key is made), then set the keys again.';
  if (code === 'InvalidAccessKeyId' || code === 'InvalidClientTokenId') {
    return new LifeboatError(
      `The S3 storage at ${where} does not know the access key ${key} (${code}). Nothing was saved.`,
      typo,
      base?.detail,
      again,
    );
  }
  if (code === 'SignatureDoesNotMatch') {
    return new LifeboatError(
      `The secret access key does not belong to the access key ${key}: the S3 storage at ${where} refused the signature (${code}). Nothing was saved.`,
      typo,
      base?.detail,
      again,
    );
  }
  if (code === 'InvalidToken' || code === 'ExpiredToken' || code === 'TokenRefreshRequired') {
    return new LifeboatError(
      `The S3 storage at ${where} refused the session token of the access key ${key} (${code}). Nothing was saved.`,
      'Get new temporary keys (with their session token), or use long-term keys with no session token, then set the keys again.',
      base?.detail,
      again,
    );
  }
  if (base?.ui === 's3-keys') {
    return new LifeboatError(
      `The S3 storage at ${where} knows the access key ${key} but does not let it list the bucket "${bucket}" (${code ?? 'access denied'}). Nothing was saved.`,
      'Give the key s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on the prefix, or use keys that have them.',
      base.detail,
      again,
    );
  }
  return new LifeboatError(
    `${base?.message ?? String(err)} The keys could not be checked, so nothing was saved.`,
    base?.hint,
    base?.detail,
    { cause: err },
  );
}
