/**
 * A way out that only a user interface offers (a view to refresh, a command to run). Core
 * messages are printed by the command line too, so core names the step and each front end
 * words it where it shows the error (src/extension/uiHint.ts, src/cli/cliHint.ts).
 */
export type UiStep =
  | 'refresh-backups'
  | 'refresh-volumes'
  | 'choose-volume-snapshot'
  | 'preview-cleanup'
  /** Keys for the S3 destination are missing or refused: save some. */
  | 's3-keys'
  /** The keys just typed were refused: type them again (the hint already says so). */
  | 's3-keys-again';

/** What an error may carry besides its words: the error it was made from (ES2022 `cause`), a UI step. */
export interface LifeboatErrorOptions {
  cause?: unknown;
  ui?: UiStep;
}

/**
 * Errors that reach users. `message` says what failed; `hint` says what to do next; `cause`
 * keeps the error underneath for the log (see causeChain). Secrets never go into any of them
 * (contract 8 in docs/contracts.md).
 */
export class LifeboatError extends Error {
  readonly ui?: UiStep;

  constructor(
    message: string,
    readonly hint?: string,
    readonly detail?: string,
    options?: LifeboatErrorOptions,
  ) {
    // Only an error that has a cause gets the property, so `'cause' in err` says which ones do.
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'LifeboatError';
    if (options?.ui) this.ui = options.ui;
  }
}

/** The user cancelled: the UI shows nothing at all. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

export class DockerUnavailableError extends LifeboatError {
  constructor(endpoint: string, reason: string, hint?: string, cause?: unknown) {
    super(
      `Cannot reach the Docker engine at ${endpoint}: ${reason}.`,
      hint ?? 'Start Docker (Docker Desktop, or `sudo systemctl start docker`), or point DOCKER_HOST at a running engine, then retry.',
      undefined,
      { cause },
    );
    this.name = 'DockerUnavailableError';
  }
}

/**
 * A container the operation needs exists but does not run (stopped, paused, restarting): the
 * stack is down, which starting it fixes, unlike a failed backup (the command line's exit 3).
 */
export class ContainerNotRunningError extends LifeboatError {
  constructor(message: string, hint: string, options?: LifeboatErrorOptions) {
    super(message, hint, undefined, options);
    this.name = 'ContainerNotRunningError';
  }
}

/** A setting (or a settings file) that cannot be used: fixing it, not retrying, is the way out. */
export class SettingsError extends LifeboatError {
  constructor(message: string, hint?: string, options?: LifeboatErrorOptions) {
    super(message, hint, undefined, options);
    this.name = 'SettingsError';
  }
}

/** The backup itself is bad (changed since its manifest, cut off): retrying will not help. */
export class DamagedBackupError extends LifeboatError {
  constructor(message: string, hint?: string, options?: LifeboatErrorOptions) {
    super(message, hint, undefined, options);
    this.name = 'DamagedBackupError';
  }
}

/** Another Lifeboat operation holds the lock; `message` says who and since when (see lock.ts). */
export class LockedError extends LifeboatError {
  constructor(message: string, hint = 'Wait for it to finish, then retry.') {
    super(message, hint);
    this.name = 'LockedError';
  }
}

export function isCancelled(err: unknown): boolean {
  return err instanceof CancelledError || (err instanceof Error && err.name === 'AbortError');
}

/**
 * A Node file-system error (`ENOSPC`, `EACCES`…), as opposed to a stream's own `ERR_…` codes
 * and errors without a code.
 */
export function isFsError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Turns a Node file-system error into one that names the path and the way out. */
export function fsError(err: unknown, action: string, path: string): LifeboatError {
  const code = (err as NodeJS.ErrnoException)?.code;
  // Reads reach workspace files too (config paths, the workspace folder), where pointing at
  // lifeboat.backupDirectory or calling the path "not writable" would send the user astray.
  if (/^read\b/.test(action) && code && ['EACCES', 'EPERM', 'ENOTDIR'].includes(code)) {
    const what = code === 'ENOTDIR' ? `a part of ${path} is a file, not a folder` : `${path} is not readable`;
    return new LifeboatError(
      `Cannot ${action}: ${what} (${code}).`,
      code === 'ENOTDIR'
        ? 'Check the path.'
        : 'Fix its permissions for the user Lifeboat runs as (the one running VS Code or the command line).',
      undefined,
      { cause: err },
    );
  }
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new LifeboatError(
        `The disk holding ${path} is full (${code}) while trying to ${action}.`,
        'Free some space or choose another folder in the setting lifeboat.backupDirectory. Older backups were not touched.',
        undefined,
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new LifeboatError(
        `Cannot ${action}: ${path} is not writable (${code}).`,
        "Fix the folder's permissions or choose another folder in the setting lifeboat.backupDirectory.",
        undefined,
        { cause: err },
      );
    case 'ENOTDIR':
    case 'EEXIST':
      return new LifeboatError(
        `Cannot ${action}: a part of ${path} is a file, not a folder (${code}).`,
        'Choose another folder in the setting lifeboat.backupDirectory.',
        undefined,
        { cause: err },
      );
    default:
      return new LifeboatError(`Cannot ${action} (${path}): ${(err as Error)?.message ?? String(err)}`, undefined, undefined, {
        cause: err,
      });
  }
}
