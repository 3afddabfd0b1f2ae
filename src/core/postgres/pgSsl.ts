import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** libpq's `sslmode` values, with libpq's meanings. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PgSsl {
  mode: SslMode;
  /** The PEM of the CA(s) the server's certificate must chain to; `'system'` for Node's own list. */
  ca?: string | 'system';
  /** Where `ca` was read from, for messages. */
  caSource?: string;
}

/** Not a setting Lifeboat can act on (an unknown mode, a missing root certificate): said before any connection. */
export class PgSslSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgSslSettingError';
  }
}

/**
 * The direct connection's TLS settings from libpq's own variables, so a machine already set up
 * for psql needs nothing new: `PGSSLMODE` and `PGSSLROOTCERT` of this process first (the
 * client's side, as libpq reads them), then `PGSSLMODE` of the database container (how its
 * own clients are told to connect). Defaults follow libpq: mode `prefer`; root certificate
 * `~/.postgresql/root.crt` when it exists; with one, `require` checks the CA as `verify-ca`
 * does; `sslrootcert=system` makes the default `verify-full` and refuses weaker modes.
 */
export function sslFromEnv(env: Record<string, string | undefined>, containerEnv?: Map<string, string>, home = homedir()): PgSsl {
  const rawMode = (env.PGSSLMODE ?? containerEnv?.get('PGSSLMODE') ?? '').trim();
  if (rawMode && !(SSL_MODES as readonly string[]).includes(rawMode)) {
    throw new PgSslSettingError(
      `PGSSLMODE "${rawMode}" is not an sslmode libpq knows. Set it to one of ${SSL_MODES.map((m) => `"${m}"`).join(', ')}.`,
    );
  }
  const rootCert = env.PGSSLROOTCERT?.trim() || undefined;
  if (rootCert === 'system') {
    const mode = (rawMode || 'verify-full') as SslMode;
    if (mode !== 'verify-full')
      throw new PgSslSettingError(
        `PGSSLMODE "${mode}" is too weak for PGSSLROOTCERT "system": any public CA can sign a certificate for a name its holder controls. Set PGSSLMODE to "verify-full".`,
      );
    return { mode, ca: 'system', caSource: 'the system CA list' };
  }
  const mode = (rawMode || 'prefer') as SslMode;
  const path = rootCert ?? join(home, '.postgresql', 'root.crt');
  const verifies = mode === 'verify-ca' || mode === 'verify-full';
  if (!verifies && mode !== 'require') return { mode };
  if (!existsSync(path)) {
    if (!verifies) return { mode };
    throw new PgSslSettingError(
      `PGSSLMODE "${mode}" needs the CA certificate to check the server against, and "${path}" does not exist. Set PGSSLROOTCERT to the CA's PEM file, or PGSSLMODE to "require" to encrypt without checking.`,
    );
  }
  let ca: string;
  try {
    ca = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PgSslSettingError(
      `The CA certificate "${path}" cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Check PGSSLROOTCERT and the file's permissions.`,
    );
  }
  // libpq's compatibility rule: a root certificate on hand turns `require` into `verify-ca`.
  return { mode: mode === 'require' ? 'verify-ca' : mode, ca, caSource: path };
}

/** The TLS part of a connection failed: the server refused it, or its certificate did not pass. */
export class PgSslError extends Error {
  constructor(
    message: string,
    /** True when the handshake itself broke (not a check that failed): `prefer` then tries without TLS. */
    readonly handshake = false,
  ) {
    super(message);
    this.name = 'PgSslError';
  }
}
