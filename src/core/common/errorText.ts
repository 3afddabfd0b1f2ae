/**
 * The message of a thrown value. Node, the streams and the SDKs throw Errors; anything else
 * thrown (a string, a plain object from a careless callback) is still shown, not "undefined".
 */
export function errorText(err: unknown): string {
  return (err as Error | undefined)?.message ?? String(err);
}
