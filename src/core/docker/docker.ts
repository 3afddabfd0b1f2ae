import Docker from 'dockerode';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerEngine, describeEngine, engineHint, selectEngine } from './dockerEngine';
import { DockerUnavailableError, LifeboatError } from '../common';
import { HostKeyVerdict, checkHostKey } from './sshHostKeys';

// One engine per process (the workspace's in VS Code, the folder's on the command line): errors
// raised deep in a backup name it without every caller passing it down.
let current: DockerEngine | undefined;
// The last host-key check of each ssh engine, so a refused connection can say why.
const hostKeyVerdicts = new Map<string, HostKeyVerdict>();

/** The engine in use, said with where the choice came from. */
export function dockerEndpoint(): string {
  return describeEngine(currentEngine());
}

export function currentEngine(): DockerEngine {
  current ??= selectEngine();
  return current;
}

/** A client for `engine` (default: chosen as the Docker CLI would, from the environment and its contexts). */
export function connectDocker(engine: DockerEngine = selectEngine()): Docker {
  current = engine;
  return new Docker(dockerOptions(engine));
}

/**
 * dockerode's options for an engine. Every connection field is given, undefined when unused,
 * because dockerode merges its own reading of DOCKER_HOST under whatever is passed.
 */
export function dockerOptions(engine: DockerEngine): Docker.DockerOptions {
  const none = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    username: undefined,
    sshOptions: undefined,
    agent: undefined,
  } as const;
  const { host } = engine;
  if (host.startsWith('unix://')) return { ...none, socketPath: host.slice('unix://'.length) };
  // npipe:////./pipe/name → //./pipe/name, which Node opens as the named pipe \\.\pipe\name.
  if (host.startsWith('npipe://')) return { ...none, socketPath: host.slice('npipe://'.length) };
  const url = new URL(host);
  if (url.protocol === 'ssh:') {
    const port = Number(url.port || 22);
    return {
      ...none,
      protocol: 'ssh',
      host: url.hostname,
      port,
      username: decodeURIComponent(url.username) || os.userInfo().username,
      sshOptions: {
        agent: process.env.SSH_AUTH_SOCK,
        privateKey: process.env.SSH_AUTH_SOCK ? undefined : defaultPrivateKey(),
        // ssh2 accepts any host key unless told otherwise; known_hosts decides, as for `ssh`.
        hostVerifier: (key: Buffer) => {
          const verdict = checkHostKey(url.hostname, port, key);
          hostKeyVerdicts.set(host, verdict);
          return verdict.ok;
        },
      },
    } as Docker.DockerOptions;
  }
  const tls = engine.tls;
  const secure = url.protocol === 'https:' || !!tls;
  const port = url.port || (secure ? 2376 : 2375);
  if (!secure) return { ...none, protocol: 'http', host: url.hostname, port };
  const material = { ca: tls?.ca, cert: tls?.cert, key: tls?.key };
  return {
    ...none,
    protocol: 'https',
    host: url.hostname,
    port,
    ...material,
    // Without verification (a context with SkipTLSVerify) the client still presents its certificate.
    agent: tls && !tls.verify ? new https.Agent({ ...material, rejectUnauthorized: false }) : undefined,
  } as Docker.DockerOptions;
}

/** Pings the engine, turning socket errors into one that says how to start Docker. */
export async function pingDocker(docker: Docker, timeoutMs = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw engineDownError(err, causeOf(err));
  } finally {
    clearTimeout(timer);
  }
}

/** The error users see when the engine in use cannot be reached; keeps the original as its cause. */
export function engineDownError(err: unknown, cause = (err as NodeJS.ErrnoException)?.code ?? 'error'): DockerUnavailableError {
  const engine = currentEngine();
  const verdict = hostKeyVerdicts.get(engine.host);
  if (verdict && !verdict.ok) {
    const { hostname, port } = new URL(engine.host);
    const scan = `ssh-keyscan${port ? ` -p ${port}` : ''} ${hostname}`;
    return verdict.reason === 'changed'
      ? new DockerUnavailableError(
          describeEngine(engine),
          `the server's host key has CHANGED (it now offers ${verdict.fingerprint}); the connection was refused because someone may be intercepting it`,
          `If the server was reinstalled, confirm its new key with its administrator, remove the old entry (\`ssh-keygen -R ${hostname}\`) and connect once with ssh; otherwise do not connect.`,
          err,
        )
      : new DockerUnavailableError(
          describeEngine(engine),
          `the server's host key ${verdict.fingerprint} is not in ${verdict.knownHosts}`,
          `Check that fingerprint with the server's administrator, then trust it by connecting once with \`ssh${port ? ` -p ${port}` : ''} ${hostname}\` (or \`${scan} >> ~/.ssh/known_hosts\`), and retry.`,
          err,
        );
  }
  return new DockerUnavailableError(describeEngine(engine), explainCode(cause), engineHint(engine), err);
}

const CODE_MEANINGS: Record<string, string> = {
  ENOENT: 'no socket at that path',
  ECONNREFUSED: 'nothing is listening there',
  EACCES: 'permission denied (is your user in the docker group?)',
  ETIMEDOUT: 'no answer in time',
  ECONNRESET: 'the connection was dropped',
  ENOTFOUND: 'no such host',
  EHOSTUNREACH: 'the host cannot be reached',
};

/** A socket error code, said in words, with the code kept for searching. */
function explainCode(cause: string): string {
  const meaning = CODE_MEANINGS[cause];
  return meaning ? `${meaning} (${cause})` : cause;
}

/** The key `ssh` would try first when no agent runs. */
function defaultPrivateKey(): Buffer | undefined {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    try {
      return fs.readFileSync(path.join(os.homedir(), '.ssh', name));
    } catch {
      // next
    }
  }
  return undefined;
}

function causeOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  // TLS and ssh failures carry their reason in the message, not a code.
  return e?.code && !/^ERR_/.test(e.code) ? e.code : (e?.message ?? String(err)).split('\n')[0];
}

/**
 * What to pass on from a failed engine call: an error that means the engine is gone becomes the
 * DockerUnavailableError users see (the original kept as its cause); any other goes to
 * `otherwise`, which by default returns it unchanged.
 */
export function toEngineError(err: unknown): unknown;
export function toEngineError<E>(err: unknown, otherwise: (err: unknown) => E): DockerUnavailableError | E;
export function toEngineError(err: unknown, otherwise: (err: unknown) => unknown = (e) => e): unknown {
  return isEngineDown(err) && !(err instanceof LifeboatError) ? engineDownError(err) : otherwise(err);
}

/** True for errors that mean the engine itself is gone, rather than a request that failed. */
export function isEngineDown(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE';
}
