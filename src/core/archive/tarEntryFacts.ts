import type * as tar from 'tar-stream';
import type { TarHeaderFacts } from './archiveGuard';

/**
 * Adds to each entry's header what tar-stream knows but does not say. An extended header (PAX
 * or GNU long name) of size 0 leaves its parser expecting that header's content: the next body
 * that fits in what is buffered is swallowed as if it were one, so what the entries are depends
 * on how the bytes were chunked. The flag is private to tar-stream (pinned to 3.2.2 in
 * package.json) and read as the entry is emitted, before the parser moves on; the tar readers'
 * tests fail if an upgrade renames it.
 *
 * Call before anything else listens to `entry`, then pass each header through the result.
 */
export function tarEntryFacts(extract: tar.Extract): (h: tar.Header) => TarHeaderFacts {
  const afterEmpty = new WeakSet<tar.Header>();
  extract.on('entry', (h: tar.Header) => {
    if ((extract as unknown as { _longHeader?: boolean })._longHeader === true) afterEmpty.add(h);
  });
  return (h) => ({ ...h, afterEmptyExtension: afterEmpty.has(h) });
}
