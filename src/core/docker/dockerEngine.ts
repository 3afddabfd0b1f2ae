import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SettingsError } from '../common';

/** Where the choice of engine came from, in the Docker CLI's order of precedence. */
export type EngineSource = 'setting' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'current context' | 'default';

export interface EngineTls {
  /** PEM contents, read once when the engine is chosen. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Check the server's certificate against `ca` (DOCKER_TLS_VERIFY, or a context without SkipTLSVerify). */
  verify: boolean;
}

/** The engine Lifeboat talks to, and why that one. */
export interface DockerEngine {
  /** `unix:///path`, `npipe:////./pipe/name`, `tcp://host:port` or `ssh://user@host[:port]`. */
  host: string;
  source: EngineSource;
  /** The Docker context the host came from, when it came from one. */
  context?: string;
  tls?: EngineTls;
}

export interface EngineInputs {
  /** `lifeboat.docker.host`. */
  setting?: string;
  env?: NodeJS.ProcessEnv;
  /** Defaults to the user's home folder; the Docker CLI's config lives in `<home>/.docker` unless DOCKER_CONFIG says otherwise. */
  home?: string;
  platform?: NodeJS.Platform;
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

/**
 * Chooses the engine the way the Docker CLI (and so Compose and VS Code's Container Tools)
 * does: an explicit host, then DOCKER_HOST, then DOCKER_CONTEXT, then the current context of
 * the CLI's config.json, then the platform's socket. Docker Desktop on macOS, Colima, OrbStack,
 * Rancher Desktop and Podman publish themselves as contexts, so honouring them is what makes
 * Lifeboat see the same containers as `docker ps`. The files read are a few hundred bytes.
 */
export function selectEngine(inputs: EngineInputs = {}): DockerEngine {
  const env = inputs.env ?? process.env;
  const platform = inputs.platform ?? process.platform;
  const setting = inputs.setting?.trim();
  if (setting)
    return { host: checkHost(setting, 'the setting lifeboat.docker.host'), source: 'setting', tls: envTls(env, inputs, setting) };
  if (env.DOCKER_HOST)
    return { host: checkHost(env.DOCKER_HOST, 'DOCKER_HOST'), source: 'DOCKER_HOST', tls: envTls(env, inputs, env.DOCKER_HOST) };

  const configDir = env.DOCKER_CONFIG || path.join(inputs.home ?? os.homedir(), '.docker');
  let name = env.DOCKER_CONTEXT;
  let source: EngineSource = 'DOCKER_CONTEXT';
  if (!name) {
    name = currentContext(configDir);
    source = 'current context';
  }
  if (name && name !== 'default') return fromContext(configDir, name, source);
  return { host: platformDefault(platform), source: 'default' };
}

export function platformDefault(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock';
}

/** "unix:///run/user/1000/docker.sock (context colima, the current context in ~/.docker/config.json)". */
export function describeEngine(engine: DockerEngine): string {
  const why: Record<EngineSource, string> = {
    setting: 'from the setting lifeboat.docker.host',
    DOCKER_HOST: 'from DOCKER_HOST',
    DOCKER_CONTEXT: `context ${engine.context}, from DOCKER_CONTEXT`,
    'current context': `context ${engine.context}, the current context of the Docker CLI`,
    default: 'the default engine',
  };
  return `${engine.host} (${why[engine.source]})`;
}

/** What to change when the chosen engine cannot be reached, said for where the choice came from. */
export function engineHint(engine: DockerEngine): string {
  switch (engine.source) {
    case 'setting':
      return 'Start that engine, or correct or clear the setting lifeboat.docker.host, then retry.';
    case 'DOCKER_HOST':
      return 'Start that engine, or change or unset DOCKER_HOST (and restart VS Code from that shell), then retry.';
    case 'DOCKER_CONTEXT':
    case 'current context':
      return `Start the engine of context ${engine.context} (Docker Desktop, Colima, Podman…), or switch with \`docker context use <name>\`, then retry.`;
    default:
      return 'Start Docker (Docker Desktop, or `sudo systemctl start docker`), or choose an engine with `docker context use`, DOCKER_HOST or the setting lifeboat.docker.host, then retry.';
  }
}

function currentContext(configDir: string): string | undefined {
  const file = path.join(configDir, 'config.json');
  const text = readSmall(file);
  if (text === undefined) return undefined;
  let config: { currentContext?: unknown };
  try {
    config = JSON.parse(text) as { currentContext?: unknown };
  } catch (err) {
    throw new SettingsError(
      `The Docker CLI's configuration ${file} is not valid JSON (${(err as Error).message}).`,
      'Fix or remove the file (`docker context use default` rewrites it), or choose an engine with DOCKER_HOST or the setting lifeboat.docker.host.',
      { cause: err },
    );
  }
  return typeof config.currentContext === 'string' && config.currentContext ? config.currentContext : undefined;
}

function fromContext(configDir: string, name: string, source: EngineSource): DockerEngine {
  // The CLI stores a context under the sha256 of its name, so any name is a safe folder name.
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  const origin = source === 'DOCKER_CONTEXT' ? 'DOCKER_CONTEXT' : `the current context in ${path.join(configDir, 'config.json')}`;
  const text = readSmall(metaFile);
  if (text === undefined) {
    throw new SettingsError(
      `The Docker context "${name}" (${origin}) does not exist: ${metaFile} is missing.`,
      '`docker context ls` lists the contexts; `docker context use <name>` switches.',
    );
  }
  let meta: ContextMeta;
  try {
    meta = JSON.parse(text) as ContextMeta;
  } catch (err) {
    throw new SettingsError(
      `The Docker context "${name}" (${origin}) cannot be read: ${metaFile} is not valid JSON (${(err as Error).message}).`,
      `Recreate it (\`docker context rm ${name}\`, then \`docker context create\`), or switch with \`docker context use default\`.`,
      { cause: err },
    );
  }
  const endpoint = meta.Endpoints?.docker;
  if (!endpoint?.Host) {
    throw new SettingsError(
      `The Docker context "${name}" (${origin}) names no Docker endpoint in ${metaFile}.`,
      `Recreate it with \`docker context create ${name} --docker host=…\`.`,
    );
  }
  const host = checkHost(endpoint.Host, `the Docker context ${name}`);
  let tls: EngineTls | undefined;
  if (host.startsWith('tcp://')) {
    const dir = path.join(configDir, 'contexts', 'tls', id, 'docker');
    const ca = readPem(path.join(dir, 'ca.pem'));
    const cert = readPem(path.join(dir, 'cert.pem'));
    const key = readPem(path.join(dir, 'key.pem'));
    if (ca || cert || key) tls = { ca, cert, key, verify: !endpoint.SkipTLSVerify };
  }
  return { host, source, context: name, tls };
}

/** DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as the CLI applies them to a tcp:// host given directly. */
function envTls(env: NodeJS.ProcessEnv, inputs: EngineInputs, host: string): EngineTls | undefined {
  if (!host.startsWith('tcp://')) return undefined;
  const verify = !!env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0';
  if (!verify && !env.DOCKER_CERT_PATH) return undefined;
  const dir = env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || path.join(inputs.home ?? os.homedir(), '.docker');
  const tls = {
    ca: readPem(path.join(dir, 'ca.pem')),
    cert: readPem(path.join(dir, 'cert.pem')),
    key: readPem(path.join(dir, 'key.pem')),
    verify,
  };
  if (verify && !tls.ca) {
    throw new SettingsError(
      `DOCKER_TLS_VERIFY is set but ${path.join(dir, 'ca.pem')} is missing.`,
      'Point DOCKER_CERT_PATH at the folder with ca.pem, cert.pem and key.pem.',
    );
  }
  return tls;
}

const SCHEMES = ['unix://', 'npipe://', 'tcp://', 'ssh://', 'http://', 'https://'];

function checkHost(host: string, origin: string): string {
  const h = host.trim();
  if (h.startsWith('/')) return `unix://${h}`; // a bare socket path, as people write in settings
  if (SCHEMES.some((s) => h.startsWith(s))) return h;
  throw new SettingsError(
    `The Docker host "${host}" (${origin}) is not one Lifeboat can use.`,
    'Use unix:///path/to/docker.sock, tcp://host:2376, ssh://user@host or npipe:////./pipe/docker_engine.',
  );
}

function readSmall(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new SettingsError(`Cannot read ${file}: ${(err as Error).message}.`, 'Check the permissions of the Docker CLI configuration.', {
      cause: err,
    });
  }
}

function readPem(file: string): Buffer | undefined {
  const text = readSmall(file);
  return text === undefined ? undefined : Buffer.from(text);
}
