import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NoStackError } from '../core/stack';
import {
  causeLines,
  ContainerNotRunningError,
  DockerUnavailableError,
  LifeboatError,
  LockedError,
  SettingsError,
  isCancelled,
  toolVersion,
} from '../core/common';
import { toEngineError } from '../core/docker';
import { backupCommand } from './commands/backup';
import { offsiteCommand } from './commands/offsite';
import { pruneCommand } from './commands/prune';
import { restoreCommand } from './commands/restore';
import { statusCommand } from './commands/status';
import { verifyCommand } from './commands/verify';
import { createContext } from './context';
import { EXIT, ExitCode } from './exitCodes';
import { UsageError } from './usageError';
import { cliHint } from './cliHint';
import { readWorkspaceSettings } from './workspaceSettings';

const USAGE = `Usage: lifeboat <command> [options]

Commands:
  backup database|config|volume   make a backup, checked and verified (lifeboat.verify.onCreate)
  verify [FILE...]                verify files; default: the newest of each kind; --all: every backup
  prune                           delete what lifeboat.retention.* lets go; --dry-run shows it first
  status                          the backup status report; exit 1 when something needs attention
  restore database FILE           a dry run into a scratch database, proved; --replace DB then swaps it in
  restore volume FILE             a dry run: the snapshot checked as a restore would; --replace VOLUME then restores it
  restore config FILE             lists the files that differ from the folder; --replace FOLDER writes them (keeping .bak)
  offsite list                    what lifeboat.offsite.destination holds, and which backups are only there
  offsite copy [FILE...|--new]    copy backups there (default: the newest of each kind; --new: all not there yet)
  offsite pull REMOTE...          bring copies back into the backup folder, checked against their manifests

Options:
  --folder DIR     the project folder (its .vscode/settings.json is read); default: the current folder
  --volume NAME    backup volume: this volume only (repeatable); default: every volume of the stack
  --depth D        verify: quick (default) or full (a test restore)
  --all            verify: every backup
  --new            offsite copy: every backup not at the destination yet
  --replace NAME   restore: replace the live database, the volume or the folder NAME (typed out), not a dry run
  --dry-run        prune: show, delete nothing
  --json           machine-readable output
  --quiet          print errors only (for cron)
  --verbose        log each step and the tools' output to stderr
  --version, --help

Exit codes: 0 ok, 1 failed, 2 usage or settings error, 3 Docker or stack unavailable,
4 another Lifeboat operation is running (retry later), 130 cancelled.
`;

export async function main(argv: string[]): Promise<ExitCode> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        folder: { type: 'string' },
        volume: { type: 'string', multiple: true },
        depth: { type: 'string' },
        all: { type: 'boolean' },
        new: { type: 'boolean' },
        replace: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        verbose: { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`lifeboat: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values: o, positionals } = parsed;
  if (o.version) {
    process.stdout.write(`lifeboat ${toolVersion}\n`);
    return EXIT.ok;
  }
  const [command, ...rest] = positionals;
  if (o.help || !command) {
    (o.help ? process.stdout : process.stderr).write(USAGE);
    return o.help ? EXIT.ok : EXIT.usage;
  }
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const folder = resolve(o.folder ?? process.cwd());
    const ctx = createContext(
      folder,
      await readWorkspaceSettings(folder),
      { json: !!o.json, quiet: !!o.quiet, verbose: !!o.verbose },
      ac.signal,
    );
    switch (command) {
      case 'backup':
        return await backupCommand(ctx, rest, o.volume ?? []);
      case 'verify': {
        const depth = o.depth ?? 'quick';
        if (depth !== 'quick' && depth !== 'full') throw new UsageError(`--depth must be quick or full, not "${depth}".`);
        return await verifyCommand(ctx, rest, !!o.all, depth);
      }
      case 'prune':
        if (rest.length) throw new UsageError('prune takes no arguments.');
        return await pruneCommand(ctx, !!o['dry-run']);
      case 'restore':
        return await restoreCommand(ctx, rest, o.replace);
      case 'offsite':
        return await offsiteCommand(ctx, rest, !!o.new);
      case 'status':
        if (rest.length) throw new UsageError('status takes no arguments.');
        return await statusCommand(ctx);
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (err) {
    return report(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function report(err: unknown): ExitCode {
  if (isCancelled(err)) {
    process.stderr.write('lifeboat: cancelled; nothing partial was kept.\n');
    return EXIT.cancelled;
  }
  err = toEngineError(err);
  if (err instanceof LifeboatError) {
    const hint = cliHint(err);
    process.stderr.write(`lifeboat: error: ${err.message}\n${hint ? `  ${hint}\n` : ''}`);
    for (const line of causeLines(err)) process.stderr.write(`${line}\n`);
    if (err instanceof UsageError) {
      process.stderr.write(`\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof LockedError) return EXIT.locked;
    if (err instanceof DockerUnavailableError || err instanceof NoStackError || err instanceof ContainerNotRunningError)
      return EXIT.unavailable;
    if (err instanceof SettingsError) return EXIT.usage;
    return EXIT.failed;
  }
  process.stderr.write(`lifeboat: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.failed;
}

if (require.main === module) {
  // dockerode formats an ssh:// engine's address with url.parse, which prints a deprecation
  // warning (DEP0170) on every run: noise about a library's internals in a cron mail.
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => {
    if (w.code !== 'DEP0170') process.stderr.write(`lifeboat: warning: ${w.message}\n`);
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
