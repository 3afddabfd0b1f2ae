/**
 * Names in messages (databases, containers, services, volumes, stacks, files) are quoted the
 * same way everywhere, by core errors and by notifications alike. Full paths are not: they are
 * shortened in notifications and kept whole in the log.
 */

/** A name as messages quote it: "sms_db". */
export function quote(name: string): string {
  return `"${name}"`;
}

/** `"a", "b" and "c"` for names that are listed in a sentence. */
export function quoteList(names: readonly string[]): string {
  const q = names.map(quote);
  return q.length < 2 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} and ${q.at(-1)}`;
}
