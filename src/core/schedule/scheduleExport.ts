import { basename } from 'node:path';
import { CronSchedule, CronZone, parseCron } from '../common';
import { safeSegment } from '../store';
import type { BackupKind } from '../store';
import { SCHEDULE_KINDS } from './scheduler';
import { zoneWords } from './scheduleText';

export interface ScheduleExportInput {
  /** The workspace folder: `--folder` of every command; its `.vscode/settings.json` holds the settings the CLI reads. */
  folder: string;
  /** Per kind; empty leaves the kind out. */
  crons: Record<BackupKind, string>;
  zone: CronZone;
  /** The Node.js binary, absolute where known. */
  node: string;
  /** `dist/cli.js` of the installed extension. */
  cli: string;
  /** systemd: the account the service runs as (it must reach Docker and own the backups). */
  user: string;
  /** `lifeboat.offsite.copyNewBackups`: each run copies what is not off-site yet, between the backup and the prune. */
  offsiteCopy?: boolean;
  /** For the header line; tests pass a fixed one. */
  generatedAt?: Date;
}

export interface ExportedFile {
  /** Where it goes, e.g. `/etc/systemd/system/lifeboat-sms-database.timer`. */
  path: string;
  text: string;
}

/**
 * The command line's argv for one kind: a backup (checked and verified by the CLI), the off-site
 * copy when it is on (before the prune, so a backup is never pruned before it was copied), then
 * a prune. Each runs only if the one before succeeded.
 */
function commands(input: ScheduleExportInput, kind: BackupKind): string[][] {
  const base = [input.node, input.cli];
  return [
    [...base, 'backup', kind, '--folder', input.folder, '--quiet'],
    ...(input.offsiteCopy ? [[...base, 'offsite', 'copy', '--new', '--folder', input.folder, '--quiet']] : []),
    [...base, 'prune', '--folder', input.folder, '--quiet'],
  ];
}

function scheduled(input: ScheduleExportInput): { kind: BackupKind; schedule: CronSchedule }[] {
  return SCHEDULE_KINDS.filter((k) => input.crons[k]?.trim()).map((kind) => ({
    kind,
    schedule: parseCron(input.crons[kind], `lifeboat.schedule.${kind}`),
  }));
}

function header(input: ScheduleExportInput): string[] {
  const when = (input.generatedAt ?? new Date()).toISOString().slice(0, 10);
  return [
    `# Lifeboat backups of ${input.folder}, from "Lifeboat: Export Schedule" (${when}).`,
    `# The command line reads this workspace's settings from ${input.folder}/.vscode/settings.json`,
    '# (user settings of VS Code are not seen there). A backup is verified before the prune runs;',
    '# a failed backup or verification exits non-zero and nothing is pruned.',
    ...(input.offsiteCopy
      ? ['# New backups are copied off-site (lifeboat.offsite.destination) before the prune; a failed copy stops the run.']
      : []),
  ];
}

/**
 * Crontab lines. A POSIX shell runs each one, so arguments are single-quoted, and `%` (a newline
 * to cron) is escaped. UTC schedules get `CRON_TZ=UTC`, which cronie honours; Debian's cron
 * ignores it and reads the times in the host's zone, so the file says so.
 */
export function crontabText(input: ScheduleExportInput): string {
  const jobs = scheduled(input);
  const lines = [...header(input), '# Install: crontab -e as the user that owns the backups and can use Docker, then paste this.'];
  if (input.zone === 'UTC') {
    lines.push(
      '# The times are UTC. cronie (Fedora, RHEL, Arch) honours CRON_TZ; Debian and Ubuntu cron ignore it and',
      "# use the host's zone: there, convert the times or run the host in UTC (timedatectl set-timezone UTC).",
      'CRON_TZ=UTC',
    );
  } else if (input.zone !== 'local') {
    lines.push(
      `# The times are ${input.zone} time. cronie (Fedora, RHEL, Arch) honours CRON_TZ; Debian and Ubuntu cron ignore it and`,
      `# use the host's zone: there, convert the times or run the host in that zone (timedatectl set-timezone ${input.zone}).`,
      `CRON_TZ=${input.zone}`,
    );
  } else {
    lines.push("# The times are in the host's local time zone.");
  }
  for (const kind of SCHEDULE_KINDS) {
    const job = jobs.find((j) => j.kind === kind);
    lines.push('');
    if (!job) {
      lines.push(`# ${kind}: not scheduled (lifeboat.schedule.${kind} is empty)`);
      continue;
    }
    lines.push(`# ${kind}: ${job.schedule.source}`);
    lines.push(
      `${job.schedule.source} ${commands(input, kind)
        .map((argv) => argv.map(shellQuote).join(' '))
        .join(' && ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function shellQuote(arg: string): string {
  const quoted = /^[A-Za-z0-9_/.,:=+@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
  return quoted.replace(/%/g, '\\%');
}

/**
 * A `.service` (Type=oneshot: the backup, then the prune only if the backup succeeded) and a
 * `.timer` per scheduled kind, for /etc/systemd/system. `Persistent=true` catches up a run
 * missed while the host was off, once, as the extension does.
 */
export function systemdUnits(input: ScheduleExportInput): ExportedFile[] {
  const slug = safeSegment(basename(input.folder)).toLowerCase();
  const files: ExportedFile[] = [];
  for (const { kind, schedule } of scheduled(input)) {
    const unit = `lifeboat-${slug}-${kind}`;
    files.push({
      path: `/etc/systemd/system/${unit}.service`,
      text: [
        '[Unit]',
        `Description=Lifeboat ${kind} backup of ${input.folder}`,
        'After=docker.service',
        '',
        '[Service]',
        'Type=oneshot',
        `User=${input.user}`,
        `WorkingDirectory=${systemdQuote(input.folder)}`,
        ...commands(input, kind).map((argv) => `ExecStart=${argv.map(systemdQuote).join(' ')}`),
        '',
      ].join('\n'),
    });
    files.push({
      path: `/etc/systemd/system/${unit}.timer`,
      text: [
        '[Unit]',
        `Description=Lifeboat ${kind} backup of ${input.folder} (cron "${schedule.source}", ${zoneWords(input.zone)})`,
        '',
        '[Timer]',
        ...onCalendar(schedule, input.zone).map((c) => `OnCalendar=${c}`),
        'Persistent=true',
        `Unit=${unit}.service`,
        '',
        '[Install]',
        'WantedBy=timers.target',
        '',
      ].join('\n'),
    });
  }
  return files;
}

/** Every unit in one text, each under a comment naming its file, and how to install them. */
export function systemdText(input: ScheduleExportInput): string {
  const files = systemdUnits(input);
  const timers = files.filter((f) => f.path.endsWith('.timer')).map((f) => basename(f.path));
  const out = [
    ...header(input),
    '# Save each part below under the file name given, then:',
    `#   sudo systemctl daemon-reload && sudo systemctl enable --now ${timers.join(' ')}`,
    `#   systemctl list-timers 'lifeboat-*'`,
  ];
  if (input.zone === 'local') out.push("# The times are in the host's local time zone.");
  else
    out.push(
      `# The times are ${input.zone === 'UTC' ? 'UTC' : `${input.zone} time`} (the OnCalendar= lines end in ${input.zone}), whatever the host's zone.`,
    );
  for (const f of files) out.push('', `# ---- ${f.path}`, f.text.trimEnd());
  return `${out.join('\n')}\n`;
}

/** Arguments for ExecStart=: double quotes where needed; `%` and `$` are systemd specifiers. */
function systemdQuote(arg: string): string {
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_/.,:=+@-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * systemd OnCalendar= expressions for a cron schedule. Vixie cron ORs the day of month and
 * the day of week when both are restricted; a calendar expression ANDs them, so that case
 * becomes two expressions (a timer takes several OnCalendar= lines).
 */
export function onCalendar(s: CronSchedule, zone: CronZone): string[] {
  // systemd (235 and later) reads a zone name at the end of a calendar expression.
  const suffix = zone === 'local' ? '' : ` ${zone}`;
  const time = `${component([...s.hours], 0, 23, 2)}:${component([...s.minutes], 0, 59, 2)}:00`;
  const month = component([...s.months], 1, 12, 2);
  const dom = component([...s.daysOfMonth], 1, 31, 2);
  const dow = weekdays([...s.daysOfWeek]);
  const line = (d: string | undefined, day: string) => `${d ? `${d} ` : ''}*-${month}-${day} ${time}${suffix}`;
  if (s.dayOr) return [line(undefined, dom), line(dow, '*')];
  return [line(dow, dom)];
}

/** `*`, `00/15` for a step to the end, or a list with ranges (`1..5`). */
function component(values: number[], min: number, max: number, width: number): string {
  const v = [...new Set(values)].sort((a, b) => a - b);
  const pad = (n: number) => String(n).padStart(width, '0');
  if (v.length === max - min + 1) return '*';
  if (v.length > 2) {
    const step = v[1] - v[0];
    const progression = step > 1 && v.every((x, i) => i === 0 || x - v[i - 1] === step) && v.at(-1)! + step > max;
    if (progression) return `${pad(v[0])}/${step}`;
  }
  return runs(v)
    .map(([a, b]) => (a === b ? pad(a) : b === a + 1 ? `${pad(a)},${pad(b)}` : `${pad(a)}..${pad(b)}`))
    .join(',');
}

function weekdays(days: number[]): string | undefined {
  const v = [...new Set(days)].sort((a, b) => a - b);
  if (v.length === 7) return undefined;
  return runs(v)
    .map(([a, b]) => (a === b ? DAY_NAMES[a] : b === a + 1 ? `${DAY_NAMES[a]},${DAY_NAMES[b]}` : `${DAY_NAMES[a]}..${DAY_NAMES[b]}`))
    .join(',');
}

function runs(sorted: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const x of sorted) {
    const last = out.at(-1);
    if (last && x === last[1] + 1) last[1] = x;
    else out.push([x, x]);
  }
  return out;
}
