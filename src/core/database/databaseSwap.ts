import { LifeboatError } from '../common';
import { timestamp } from '../store';
import { PsqlTarget, maintenanceDatabase, psql, rows } from '../postgres';

const MAX_IDENTIFIER = 63;

/** `<db><suffix>_YYYYMMDD_HHMMSS`, shortened to PostgreSQL's 63-byte identifier limit. */
export function sideName(db: string, suffix: '_restore' | '_pre_restore' | '_failed_restore' | '_verify', at: Date): string {
  const tail = `${suffix}_${timestamp(at)}`;
  return `${db.slice(0, MAX_IDENTIFIER - tail.length)}${tail}`;
}

/**
 * Renames `live` to `aside` and `replacement` to `live` in one transaction, so there is no
 * moment without a database of the live name. Sessions on either are ended first; a client
 * that reconnects in between makes the rename fail, so it is retried a few times.
 */
export async function swapDatabases(target: PsqlTarget, live: string, replacement: string, aside: string): Promise<void> {
  const admin = { ...target, database: await maintenanceDatabase(target) };
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await psql(
        admin,
        `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname IN (:'live', :'repl') AND pid <> pg_backend_pid();
         BEGIN;
         ALTER DATABASE :"live" RENAME TO :"aside";
         ALTER DATABASE :"repl" RENAME TO :"live";
         COMMIT;`,
        { live, repl: replacement, aside },
      );
      return;
    } catch (err) {
      lastError = err;
      if (!/being accessed by other users/.test((err as Error).message)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new LifeboatError(
    `Could not swap "${replacement}" in for "${live}": ${(lastError as Error).message}`,
    'Nothing was renamed. Close other connections to the database (psql sessions, admin tools) and retry.',
    undefined,
    { cause: lastError },
  );
}

export interface SideDatabase {
  name: string;
  kind: 'pre_restore' | 'failed_restore' | 'restore' | 'verify';
  at?: Date;
  bytes: number;
}

/** The copies a restore left next to the live database: pre-restore, failed and scratch ones. */
export async function listSideDatabases(target: PsqlTarget, live: string): Promise<SideDatabase[]> {
  const out = await psql(
    { ...target, database: await maintenanceDatabase(target) },
    `SELECT datname, pg_database_size(oid) FROM pg_database
      WHERE starts_with(datname, :'prefix') AND datname ~ '_(pre_restore|failed_restore|restore|verify)_[0-9]{8}_[0-9]{6}$'
      ORDER BY datname DESC;`,
    { prefix: live.slice(0, 20) },
  );
  const found: SideDatabase[] = [];
  for (const [name, size] of rows(out)) {
    const m = name.match(/_(pre_restore|failed_restore|restore|verify)_(\d{8})_(\d{6})$/);
    if (!m) continue;
    const base = name.slice(0, name.length - m[0].length);
    // Only copies of this database (its name may have been shortened to fit 63 bytes).
    if (!live.startsWith(base)) continue;
    const d = m[2];
    const t = m[3];
    const at = new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +t.slice(0, 2), +t.slice(2, 4), +t.slice(4, 6)));
    found.push({ name, kind: m[1] as SideDatabase['kind'], at, bytes: Number(size) });
  }
  return found;
}
