import { Writable } from 'node:stream';

/**
 * Collects psql's `COPY <n>` command tags: the number of rows the server itself says each COPY
 * inserted. Everything else psql prints (SET, CREATE TABLE, set_config results) is dropped,
 * so memory stays at a few bytes per table however large the dump.
 */
export class CopyTagCollector extends Writable {
  readonly counts: number[] = [];
  private rest = '';

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = this.rest + chunk.toString('latin1');
    const lines = text.split('\n');
    // A line longer than any tag cannot be one; keep only what could still become one.
    this.rest = (lines.pop() ?? '').slice(-32);
    for (const line of lines) this.take(line);
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.take(this.rest);
    done();
  }

  private take(line: string): void {
    const m = /^COPY (\d+)\r?$/.exec(line);
    if (m) this.counts.push(Number(m[1]));
  }
}

/**
 * Pairs the server's COPY tags with the dump's COPY blocks, in order. Undefined when they do
 * not pair one to one (a tag missing, or a table copied more than once): then the rows must be
 * counted. The tags of a table copied twice are not summed: they say how many rows each COPY
 * took, not how many the table still holds once the statements between them (a TRUNCATE, a
 * DELETE) have run.
 */
export function countsFromTags(tables: string[], tags: number[]): Record<string, number> | undefined {
  if (tables.length !== tags.length) return undefined;
  if (new Set(tables).size !== tables.length) return undefined;
  return Object.fromEntries(tables.map((t, i) => [t, tags[i]]));
}
