import type Docker from 'dockerode';
import { LifeboatError } from '../common';
import { runExec } from '../docker';

export interface PsqlTarget {
  container: Docker.Container;
  user: string;
  /** Database to connect to. */
  database: string;
}

/** psql() connects with this application_name (the dump and the load with `lifeboat_<id>`), so none of Lifeboat's sessions reads as another client's. */
export const LIFEBOAT_APPLICATION = 'lifeboat';

/**
 * Runs SQL through psql inside the database container. Names travel as psql variables (`-v
 * name=value`, used as `:"name"` or `:'name'` in the script), so psql does the quoting: no
 * identifier from a setting or a container is pasted into SQL or a shell (contract 7 in
 * docs/contracts.md). The script goes through stdin because psql does not interpolate variables in
 * `-c`.
 */
export async function psql(target: PsqlTarget, sql: string, vars: Record<string, string> = {}, signal?: AbortSignal): Promise<string> {
  const argv = ['psql', '--no-password', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', target.user, '-d', target.database];
  for (const [k, v] of Object.entries(vars)) argv.push('-v', `${k}=${v}`);
  argv.push('-f', '-');
  const r = await runExec(target.container, { argv, env: [`PGAPPNAME=${LIFEBOAT_APPLICATION}`] }, { input: sql, signal });
  if (r.exitCode !== 0) {
    const line = r.stderr.split('\n').find((l) => /ERROR|FATAL|error/.test(l)) ?? r.stderr.trim();
    throw new LifeboatError(`psql failed (exit code ${r.exitCode}): ${line || 'no error output'}`, undefined, r.stderr);
  }
  return r.stdout.trim();
}

/** Rows of `a|b|c` output as arrays. */
export function rows(output: string): string[][] {
  return output
    ? output
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('|'))
    : [];
}

/**
 * A database to connect to while the live one is renamed: `postgres` when it exists,
 * else `template1`, which every cluster has.
 */
export async function maintenanceDatabase(target: PsqlTarget): Promise<string> {
  try {
    await psql({ ...target, database: 'postgres' }, 'SELECT 1;');
    return 'postgres';
  } catch {
    return 'template1';
  }
}

/** Exact row counts of every user table, keyed like pg_dump writes them (`schema.table`). */
export async function tableRowCounts(target: PsqlTarget, signal?: AbortSignal): Promise<Record<string, number>> {
  // query_to_xml counts every table in one statement without a function in the database.
  const out = await psql(
    target,
    `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name),
            (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', table_schema, table_name), false, true, '')))[1]::text
       FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1;`,
    {},
    signal,
  );
  const counts: Record<string, number> = {};
  for (const [table, n] of rows(out)) counts[table] = Number(n);
  return counts;
}

/**
 * Rows per table as a user needs to hear them before a restore: exact for tables small enough
 * to count in milliseconds, the planner's figures for the rest (an exact count of a large live
 * database would cost seconds). The statistics alone are not enough: a crash or an unclean stop
 * resets n_live_tup to 0, and reltuples stays -1 until the first ANALYZE.
 */
export async function estimatedRowCounts(target: PsqlTarget, exactBelowBytes = 32 * 1024 * 1024): Promise<Record<string, number>> {
  const out = await psql(
    target,
    `SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.relname),
            CASE WHEN pg_relation_size(s.relid) < ${Math.floor(exactBelowBytes)}
                 THEN (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', s.schemaname, s.relname), false, true, '')))[1]::text::bigint
                 ELSE GREATEST(s.n_live_tup, c.reltuples::bigint) END
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      ORDER BY 1;`,
  );
  const counts: Record<string, number> = {};
  for (const [table, n] of rows(out)) counts[table] = Number(n);
  return counts;
}

export async function serverVersion(target: PsqlTarget): Promise<string> {
  return psql(target, 'SHOW server_version;');
}
