import { LIFEBOAT_APPLICATION, PsqlTarget, maintenanceDatabase, psql } from './psql';
import { formatCount, formatCountOf, quote } from '../common';

/** A client session the swap would end (pg_terminate_backend), as the user needs to hear of it. */
export interface OtherSession {
  pid: number;
  database: string;
  /** application_name; empty when the client set none. */
  application: string;
  user: string;
  /** client_addr; undefined for a Unix socket (e.g. `docker exec … psql`). */
  client?: string;
  /** pg_stat_activity.state: 'active', 'idle', 'idle in transaction', … */
  state: string;
  /** A transaction is open: what it did since `transactionSince` is lost when the session ends. */
  inTransaction: boolean;
  /** Undefined when the server hides it from this user (another role's session, not a superuser). */
  connectedSince?: Date;
  transactionSince?: Date;
  /** When the session entered its current state. */
  stateSince?: Date;
}

/**
 * The client sessions on `databases` other than Lifeboat's own: those the swap disconnects.
 * Open transactions come first, then the oldest sessions. Asked from the maintenance
 * database so that asking adds no session of its own to the list.
 */
export async function otherSessions(target: PsqlTarget, databases: string[]): Promise<OtherSession[]> {
  if (databases.length === 0) return [];
  const admin = { ...target, database: await maintenanceDatabase(target) };
  // JSON, because application names are free text and may hold the '|' psql separates columns with.
  const out = await psql(
    admin,
    `SELECT coalesce(json_agg(json_build_object(
              'pid', pid, 'database', datname, 'application', application_name, 'user', usename,
              'client', host(client_addr), 'state', coalesce(state, ''),
              'backend', extract(epoch FROM backend_start), 'xact', extract(epoch FROM xact_start), 'change', extract(epoch FROM state_change))
            ORDER BY xact_start IS NULL, coalesce(xact_start, backend_start)), '[]')
       FROM pg_stat_activity
      WHERE datname IN (${databases.map((_, i) => `:'db${i}'`).join(', ')})
        AND backend_type = 'client backend'
        AND pid <> pg_backend_pid()
        AND coalesce(application_name, '') <> :'me' AND coalesce(application_name, '') NOT LIKE 'lifeboat\\_%';`,
    { ...Object.fromEntries(databases.map((d, i) => [`db${i}`, d])), me: LIFEBOAT_APPLICATION },
  );
  const at = (s: number | null) => (s === null ? undefined : new Date(s * 1000));
  return (JSON.parse(out || '[]') as ActivityRow[]).map((r) => ({
    pid: r.pid,
    database: r.database,
    application: r.application ?? '',
    user: r.user ?? '',
    client: r.client ?? undefined,
    state: r.state,
    inTransaction: r.xact !== null,
    connectedSince: at(r.backend),
    transactionSince: at(r.xact),
    stateSince: at(r.change),
  }));
}

interface ActivityRow {
  pid: number;
  database: string;
  application: string | null;
  user: string | null;
  client: string | null;
  state: string;
  backend: number | null;
  xact: number | null;
  change: number | null;
}

const SHOWN = 5;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The lines a swap's modal gives the sessions it ends, open transactions first and said
 * plainly (their work is rolled back, not merely interrupted); none when there are no sessions.
 * A session on a database other than `live` (the copy Swap Back brings in) says which.
 */
export function describeOtherSessions(sessions: OtherSession[], live: string, now: Date = new Date()): string[] {
  if (sessions.length === 0) return [];
  const ordered = [...sessions].sort(
    (a, b) => Number(b.inTransaction) - Number(a.inTransaction) || since(a).getTime() - since(b).getTime(),
  );
  const open = ordered.filter((s) => s.inTransaction).length;
  const head: string[] = [];
  if (open)
    head.push(
      `Uncommitted work will be lost: ${open === 1 ? 'a session has a transaction open' : `${formatCount(open)} sessions have transactions open`}.`,
    );
  // The head says "disconnects" once; each line is then who and what it was doing, as a sentence.
  head.push(`The swap disconnects ${formatCountOf(sessions.length, 'other session')} of ${quote(live)}:`);
  const lines = ordered
    .slice(0, SHOWN)
    .map((s) => `${who(s, live)}, ${doing(s, now)}${s.inTransaction ? '; its uncommitted work will be lost' : ''}.`);
  const rest = ordered.slice(SHOWN);
  if (rest.length) {
    const restOpen = rest.filter((s) => s.inTransaction).length;
    lines.push(`${formatCountOf(rest.length, 'more session')}${restOpen ? ` (${formatCount(restOpen)} in a transaction)` : ''}.`);
  }
  return [head.join(' '), ...lines];
}

function who(s: OtherSession, live: string): string {
  const app = s.application.trim() ? quote(s.application.trim()) : 'A client without an application name';
  const from = s.client ? `from ${s.client}` : 'through the local socket';
  return `${app} (${s.user} ${from}${s.database !== live ? `, on ${quote(s.database)}` : ''})`;
}

function since(s: OtherSession): Date {
  return (s.inTransaction ? s.transactionSince : s.stateSince) ?? s.connectedSince ?? new Date(0);
}

function doing(s: OtherSession, now: Date): string {
  const at = clock(since(s), now);
  switch (s.state) {
    case 'idle in transaction':
      return `idle in transaction since ${at}`;
    case 'idle in transaction (aborted)':
      return `in a failed transaction since ${at}`;
    case 'active':
      return s.inTransaction ? `running a query, in a transaction since ${at}` : `running a query since ${at}`;
    case 'idle':
      return `idle since ${at}`;
    default:
      return s.state && s.connectedSince
        ? `${s.state}, connected since ${clock(s.connectedSince, now)}`
        : 'what it is doing is hidden from this database user';
  }
}

/** Local wall time: the hour alone today, with the day before that. */
function clock(d: Date, now: Date): string {
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? hm : `${d.getDate()} ${MONTHS[d.getMonth()]} ${hm}`;
}
