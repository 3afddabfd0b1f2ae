import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** One Alembic migration script, as far as its module-level assignments say. */
export interface Migration {
  revision: string;
  /** Empty for the first migration; two or more for a merge. */
  downRevisions: string[];
  /** The first line of the module docstring (Alembic's template puts the message there). */
  message: string;
  file: string;
}

export interface UpgradePlan {
  /** What `alembic upgrade head` applies after a restore of a database at `from`, oldest first. */
  toRun: Migration[];
  /** The workspace's newest revisions (more than one: unmerged branches). */
  heads: string[];
  /** Revisions of the backup the workspace does not have (a backup newer than the code, or another branch). */
  unknown: string[];
}

/** Where projects keep Alembic's versions folder; the runbook's layout first. */
const CANDIDATES = ['backend/alembic/versions', 'alembic/versions', 'migrations/versions', 'app/alembic/versions', 'src/alembic/versions'];

export async function findMigrationsDir(workspace: string): Promise<string | undefined> {
  for (const rel of CANDIDATES) {
    const dir = join(workspace, rel);
    if (
      await fs.stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      )
    )
      return dir;
  }
  return undefined;
}

/** Reads the migration scripts of a versions folder; files that are not one are skipped. */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const out: Migration[] = [];
  for (const name of (await fs.readdir(dir)).sort()) {
    if (!name.endsWith('.py')) continue;
    const m = parseMigration(await fs.readFile(join(dir, name), 'utf8'), name);
    if (m) out.push(m);
  }
  return out;
}

/**
 * `revision = "…"` and `down_revision = None | "…" | ("…", "…")` (with or without type
 * annotations) and the docstring's first line. Read as text: the scripts are never run.
 */
export function parseMigration(text: string, file: string): Migration | undefined {
  const revision = /^revision\s*(?::[^=\n]+)?=\s*['"]([^'"]+)['"]/m.exec(text)?.[1];
  if (!revision) return undefined;
  const down = /^down_revision\s*(?::[^=\n]+)?=\s*(.+)$/m.exec(text)?.[1] ?? 'None';
  const downRevisions = [...down.matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]);
  const doc = /^(?:\s*#[^\n]*\n)*\s*[rRuU]?("""|''')\s*([^\n]*)/.exec(text)?.[2] ?? '';
  return { revision, downRevisions, message: doc.replace(/("""|''')\s*$/, '').trim(), file };
}

/** The migrations `alembic upgrade head` runs on a database whose `alembic_version` holds `from`. */
export function planUpgrade(migrations: Migration[], from: string[]): UpgradePlan {
  const byRevision = new Map(migrations.map((m) => [m.revision, m]));
  const referenced = new Set(migrations.flatMap((m) => m.downRevisions));
  const heads = migrations.filter((m) => !referenced.has(m.revision)).map((m) => m.revision);
  const unknown = from.filter((r) => !byRevision.has(r));
  if (unknown.length) return { toRun: [], heads, unknown };

  const applied = new Set<string>();
  const markApplied = (rev: string) => {
    if (applied.has(rev)) return;
    applied.add(rev);
    for (const d of byRevision.get(rev)?.downRevisions ?? []) markApplied(d);
  };
  for (const r of from) markApplied(r);

  // Post-order from the heads: every migration comes after the ones it revises.
  const toRun: Migration[] = [];
  const seen = new Set<string>();
  const visit = (rev: string) => {
    if (seen.has(rev) || applied.has(rev)) return;
    seen.add(rev);
    const m = byRevision.get(rev);
    if (!m) return;
    for (const d of m.downRevisions) visit(d);
    toRun.push(m);
  };
  for (const h of heads) visit(h);
  return { toRun, heads, unknown };
}

/**
 * One sentence for the restore modal: which migrations `alembic upgrade head` will apply to the
 * restored copy, judged from the workspace's own migration scripts. Empty when the backup has
 * no Alembic head. Without a versions folder it falls back to comparing with the live database.
 */
export async function describeUpgrade(
  workspace: string | undefined,
  backupHead: string[] | undefined,
  liveHead: string[] | undefined,
): Promise<string> {
  if (!backupHead?.length) return '';
  const at = backupHead.join(', ');
  const dir = workspace ? await findMigrationsDir(workspace) : undefined;
  let migrations: Migration[] = [];
  if (dir) migrations = await readMigrations(dir).catch(() => []);
  if (!migrations.length) {
    return liveHead?.length && liveHead.join() !== backupHead.join()
      ? `Alembic: the backup is at ${at}, the live database at ${liveHead.join(', ')}; migrations run after the swap.`
      : '';
  }
  const where = dir!.slice(workspace!.length + 1);
  const plan = planUpgrade(migrations, backupHead);
  if (plan.unknown.length) {
    return `Alembic: the backup is at ${plan.unknown.join(', ')}, which the workspace's migrations (${where}) do not have: it may be newer than this code. If \`alembic upgrade head\` fails after the swap, the swap is undone by itself.`;
  }
  if (!plan.toRun.length) return `Alembic: the backup is at the workspace's newest migration (${at}); nothing to migrate.`;
  const shown = plan.toRun.slice(0, 5).map((m) => (m.message ? `${m.revision} (${m.message})` : m.revision));
  const more = plan.toRun.length > 5 ? `, and ${plan.toRun.length - 5} more` : '';
  const n = plan.toRun.length;
  return `Alembic: the backup is at ${at}; ${n} migration${n === 1 ? '' : 's'} from ${where} will run after the swap: ${shown.join(', ')}${more}.`;
}
