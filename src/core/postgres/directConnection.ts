import type Docker from 'dockerode';
import { PgConnection } from './pgConnection';
import { PgSsl, sslFromEnv } from './pgSsl';

export interface DirectTarget {
  container: Docker.Container;
  user: string;
  database: string;
  applicationName: string;
  /** TLS for the connection; by default libpq's variables (`sslFromEnv`). */
  ssl?: PgSsl;
}

/** A connection, or why there is none (said in the log; the caller then goes through psql). */
export type DirectResult = { conn: PgConnection; via: string } | { conn?: undefined; reason: string };

/**
 * Opens a protocol connection from this process straight to the PostgreSQL server in the
 * container, for loading a dump without the engine relaying every byte through `docker exec`
 * and psql (a restore's most expensive hops). Tried only with a local engine, where the
 * container is reachable: through host networking, a published port, or the container's
 * address on its networks. The password is the one the container was started with
 * (`POSTGRES_PASSWORD` of the official image), read from the engine and held only in memory.
 * Logging in to the freshly created scratch database also proves it is the right server.
 * TLS follows libpq's `PGSSLMODE` and `PGSSLROOTCERT` (see `sslFromEnv`).
 */
export async function connectDirect(target: DirectTarget, timeoutMs = 1500): Promise<DirectResult> {
  if (!isLocalEngine(target.container)) return { reason: 'the Docker engine is not on this machine' };
  let info: Docker.ContainerInspectInfo;
  try {
    info = await target.container.inspect();
  } catch (err) {
    return { reason: `cannot inspect the container: ${(err as Error).message}` };
  }
  const env = envOf(info);
  const port = serverPort(info, env);
  const password =
    env.get('PGPASSWORD') ?? ((env.get('POSTGRES_USER') ?? 'postgres') === target.user ? env.get('POSTGRES_PASSWORD') : undefined);
  let ssl: PgSsl;
  try {
    ssl = target.ssl ?? sslFromEnv(process.env, env);
  } catch (err) {
    return { reason: (err as Error).message };
  }
  const candidates = routes(info, port);
  if (!candidates.length) return { reason: 'the container has no address this machine can reach' };
  // All routes at once: an unreachable address (a container network behind Docker Desktop's
  // VM) costs its timeout only while the others are tried, not before them.
  const attempts = candidates.map((c) =>
    PgConnection.connect({
      host: c.host,
      port: c.port,
      user: target.user,
      database: target.database,
      password,
      applicationName: target.applicationName,
      timeoutMs,
      ssl,
    }).then(
      (conn) => ({ conn, via: `${c.host}:${c.port}` }),
      (err: Error) => Promise.reject(new Error(`${c.host}:${c.port}: ${err.message}`, { cause: err })),
    ),
  );
  try {
    const first = await Promise.any(attempts);
    // Any other route that also got in is not needed.
    for (const a of attempts)
      void a.then(
        (r) => r.conn !== first.conn && r.conn.end(),
        () => undefined,
      );
    return first;
  } catch (err) {
    return { reason: (err as AggregateError).errors.map((e: Error) => e.message).join('; ') };
  }
}

function isLocalEngine(container: Docker.Container): boolean {
  const modem = (container as unknown as { modem?: { socketPath?: unknown; host?: unknown } }).modem;
  // docker-modem keeps a socket path (or a function finding the default one) for a local engine, a host for a remote one.
  return (typeof modem?.socketPath === 'string' || typeof modem?.socketPath === 'function') && !modem.host;
}

function envOf(info: Docker.ContainerInspectInfo): Map<string, string> {
  const env = new Map<string, string>();
  for (const kv of info.Config?.Env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return env;
}

/** The port the server listens on inside the container: `-p`/`-c port=` in its command, PGPORT, or 5432. */
export function serverPort(
  info: Pick<Docker.ContainerInspectInfo, 'Config' | 'Args'>,
  env = envOf(info as Docker.ContainerInspectInfo),
): number {
  const args = [...(info.Config?.Cmd ?? []), ...(info.Args ?? [])];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1] ?? '';
    let value: string | undefined;
    if (a === '-p') value = next;
    else if (/^-p\d+$/.test(a)) value = a.slice(2);
    else if (a === '-c' && /^port=\d+$/.test(next)) value = next.slice(5);
    else if (/^--port=\d+$/.test(a)) value = a.slice('--port='.length);
    if (value && /^\d+$/.test(value)) return Number(value);
  }
  const fromEnv = Number(env.get('PGPORT'));
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 5432;
}

/** Where the server may be reached from here, most direct first. */
export function routes(
  info: Pick<Docker.ContainerInspectInfo, 'HostConfig' | 'NetworkSettings'>,
  port: number,
): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  if (info.HostConfig?.NetworkMode === 'host') out.push({ host: '127.0.0.1', port });
  const bindings =
    (info.NetworkSettings?.Ports as Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined)?.[`${port}/tcp`] ?? [];
  for (const b of bindings) {
    const hostPort = Number(b.HostPort);
    if (!Number.isInteger(hostPort) || hostPort <= 0) continue;
    const host = !b.HostIp || b.HostIp === '0.0.0.0' ? '127.0.0.1' : b.HostIp === '::' ? '::1' : b.HostIp;
    if (!out.some((o) => o.host === host && o.port === hostPort)) out.push({ host, port: hostPort });
  }
  for (const net of Object.values(info.NetworkSettings?.Networks ?? {})) {
    if (net?.IPAddress) out.push({ host: net.IPAddress, port });
  }
  return out;
}
