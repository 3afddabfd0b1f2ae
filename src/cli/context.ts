import type Docker from 'dockerode';
import { connectDocker, describeEngine, selectEngine } from '../core/docker';
import type { Logger } from '../core/common';
import type { LifeboatSettings } from '../core/settings';

/** What every subcommand gets: settings for the folder, output, a cancel signal. */
export interface CliContext {
  folder: string;
  settings: LifeboatSettings;
  json: boolean;
  quiet: boolean;
  signal: AbortSignal;
  log: Logger;
  /** Connected on first use: `prune` and `status` never need the engine. */
  docker(): Docker;
  out(line: string): void;
}

export function createContext(
  folder: string,
  settings: LifeboatSettings,
  flags: { json: boolean; quiet: boolean; verbose: boolean },
  signal: AbortSignal,
): CliContext {
  let docker: Docker | undefined;
  const err = (prefix: string) => (m: string) => process.stderr.write(`${prefix}${m}\n`);
  return {
    folder,
    settings,
    json: flags.json,
    quiet: flags.quiet,
    signal,
    log: {
      info: flags.verbose ? err('') : () => {},
      warn: err('warning: '),
      error: err('error: '),
      tool: flags.verbose ? (name, output) => process.stderr.write(`[${name}] ${output}${output.endsWith('\n') ? '' : '\n'}`) : () => {},
    },
    docker: () => {
      if (!docker) {
        const engine = selectEngine({ setting: settings.dockerHost });
        if (flags.verbose) process.stderr.write(`Docker engine: ${describeEngine(engine)}\n`);
        docker = connectDocker(engine);
      }
      return docker;
    },
    out: (line) => {
      if (!flags.quiet || flags.json) process.stdout.write(`${line}\n`);
    },
  };
}
