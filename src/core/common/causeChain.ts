/**
 * The messages of an error and of the errors it was made from (ES2022 `cause`), outermost
 * first. A cause whose words its wrapper already quotes adds nothing and is left out, so
 * "Cannot decrypt x.age: wrong passphrase or key" is not followed by "wrong passphrase or key".
 * A Node error's code is added when its message does not say it.
 */
export function causeChain(err: unknown): string[] {
  const chain: string[] = [];
  const seen = new Set<unknown>();
  let quoted = '';
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const text = e instanceof Error ? e.message : String(e);
    const code = (e as NodeJS.ErrnoException).code;
    const line = typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
    if (chain.length === 0 || !quoted.includes(text)) chain.push(line);
    quoted = text;
    if (!(e instanceof Error)) break;
  }
  return chain;
}

/** The lines a log adds under an error's own message: one per cause, innermost last. */
export function causeLines(err: unknown): string[] {
  return causeChain(err)
    .slice(1)
    .map((m) => `  caused by: ${m}`);
}
