import { Transform, TransformCallback } from 'node:stream';

const NL = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
/**
 * What is kept of the start of a line: enough for the header lines, an Alembic value and the
 * target of a COPY (two identifiers of at most 63 bytes, quotes doubled).
 */
const HEAD_LIMIT = 1024;
/** What is kept of the end of a longer line: a COPY header of a wide table ends in `FROM stdin;`. */
const TAIL_LIMIT = 64;
const EMPTY = Buffer.alloc(0);
const COMPLETE_MARKER = '-- PostgreSQL database dump complete';

export interface DumpFacts {
  /** The stream started like a pg_dump plain-format script. */
  looksLikeDump: boolean;
  /** The end marker was seen: pg_dump finished writing. */
  complete: boolean;
  serverVersion?: string;
  dumpVersion?: string;
  /** Rows per table as written in COPY blocks, keyed `schema.table` as pg_dump spells it. */
  tables: Record<string, number>;
  /** The COPY blocks in the order they came, one entry each: what psql's `COPY n` tags pair with. */
  copies: string[];
  /** Values of `alembic_version.version_num`, when the dump has that table. */
  alembicHeads: string[];
  bytes: number;
  /** A COPY block that never reached its `\.` terminator. */
  unterminatedCopy?: string;
}

/**
 * Reads facts out of a plain-format pg_dump stream as it passes: versions from the header,
 * exact row counts from COPY blocks (one line per row; newlines inside values are escaped),
 * the Alembic head, and whether the end marker arrived. Counting here rather than querying
 * the database makes the counts consistent with the dump's own snapshot.
 */
export class DumpScanner {
  private copyTable: string | undefined;
  private copyRows = 0;
  private prefix: Buffer[] = [];
  private prefixLen = 0;
  /** The line so far, in bytes; past HEAD_LIMIT only its last TAIL_LIMIT bytes are in `tail`. */
  private lineLen = 0;
  private tail: Buffer = EMPTY;
  private firstLine = true;
  /** Inside a COPY block whose values are not needed: lines are counted, not looked at. */
  private countOnly = false;
  readonly facts: DumpFacts = { looksLikeDump: false, complete: false, tables: {}, copies: [], alembicHeads: [], bytes: 0 };

  write(chunk: Buffer): void {
    this.facts.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.countOnly && this.lineLen === 0) {
        // Rows of a COPY block are only counted: no line is copied, which keeps a scan of a
        // large dump well below the cost of inflating it.
        const nl = chunk.indexOf(NL, pos);
        if (nl !== -1) {
          if (isEndOfData(chunk, pos, nl)) this.endCopy();
          else this.copyRows++;
          pos = nl + 1;
          continue;
        }
      }
      const nl = chunk.indexOf(NL, pos);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk, pos, end);
      if (nl === -1) {
        // Keep only our own copy of the partial line: the caller may reuse its buffer.
        if (this.prefix.length > 1 || (this.prefix.length === 1 && this.prefix[0].buffer === chunk.buffer))
          this.prefix = [Buffer.concat(this.prefix)];
        return;
      }
      this.endLine();
      pos = nl + 1;
    }
  }

  /** Keeps the head of the line and, once it is longer than that, its last bytes. */
  private take(chunk: Buffer, from: number, to: number): void {
    this.lineLen += to - from;
    if (this.prefixLen < HEAD_LIMIT) {
      const piece = chunk.subarray(from, Math.min(to, from + HEAD_LIMIT - this.prefixLen));
      if (piece.length) {
        this.prefix.push(piece);
        this.prefixLen += piece.length;
        from += piece.length;
      }
    }
    if (to > from) {
      const rest = chunk.subarray(from, to);
      this.tail =
        rest.length >= TAIL_LIMIT
          ? Buffer.from(rest.subarray(rest.length - TAIL_LIMIT))
          : Buffer.concat([this.tail, rest]).subarray(-TAIL_LIMIT);
    }
  }

  private endLine(): void {
    const head = this.prefix.length === 1 ? this.prefix[0] : Buffer.concat(this.prefix);
    const whole = this.lineLen === head.length;
    const last = whole ? head.subarray(-TAIL_LIMIT) : Buffer.concat([head, this.tail]).subarray(-TAIL_LIMIT);
    this.prefix = [];
    this.prefixLen = 0;
    this.lineLen = 0;
    this.tail = EMPTY;
    this.line(head, last, whole);
  }

  private endCopy(): void {
    this.facts.tables[this.copyTable!] = (this.facts.tables[this.copyTable!] ?? 0) + this.copyRows;
    this.facts.copies.push(this.copyTable!);
    this.copyTable = undefined;
    this.countOnly = false;
  }

  end(): DumpFacts {
    if (this.lineLen) this.endLine();
    if (this.copyTable !== undefined) this.facts.unterminatedCopy = this.copyTable;
    return this.facts;
  }

  /**
   * `head`: the line, or its first HEAD_LIMIT bytes when `whole` is false; `last`: its last
   * bytes (newline not included either way).
   */
  private line(head: Buffer, last: Buffer, whole: boolean): void {
    if (this.copyTable !== undefined) {
      if (whole && isEndOfData(head, 0, head.length)) {
        this.endCopy();
        return;
      }
      this.copyRows++;
      if (isAlembicTable(this.copyTable)) {
        const value = head.toString('utf8').replace(/\r$/, '').split('\t')[0];
        if (value) this.facts.alembicHeads.push(value);
      }
      return;
    }
    if (head.length === 0) return;
    const text = head.toString('utf8');
    if (this.firstLine) {
      this.firstLine = false;
      this.facts.looksLikeDump = text.startsWith('--') || text.startsWith('\\restrict') || text.startsWith('SET ');
    }
    if (text.startsWith('COPY ') && last.toString('latin1').trimEnd().endsWith('FROM stdin;')) {
      this.copyTable = copyTarget(text);
      this.copyRows = 0;
      this.countOnly = !isAlembicTable(this.copyTable);
    } else if (text.startsWith('-- Dumped from database version ')) {
      this.facts.serverVersion = text.slice('-- Dumped from database version '.length).trim();
    } else if (text.startsWith('-- Dumped by pg_dump version ')) {
      this.facts.dumpVersion = text.slice('-- Dumped by pg_dump version '.length).trim();
    } else if (text.startsWith(COMPLETE_MARKER)) {
      this.facts.complete = true;
    } else if (text.startsWith('-- PostgreSQL database dump') && !this.facts.looksLikeDump) {
      this.facts.looksLikeDump = true;
    }
  }
}

/** `\.` alone on the line `buf[from, to)`, or before a CR as psql also takes it. */
function isEndOfData(buf: Buffer, from: number, to: number): boolean {
  const n = to - from;
  return (n === 2 || (n === 3 && buf[from + 2] === CR)) && buf[from] === BACKSLASH && buf[from + 1] === DOT;
}

/** `COPY public.users (id, name) FROM stdin;` → `public.users` (quotes kept as pg_dump wrote them). */
function copyTarget(line: string): string {
  const rest = line.slice('COPY '.length);
  let inQuotes = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === ' ' || c === '(')) return rest.slice(0, i);
  }
  return rest;
}

function isAlembicTable(table: string): boolean {
  return table === 'alembic_version' || table.endsWith('.alembic_version');
}

/** A pass-through stream that feeds a DumpScanner. */
export class DumpScanStream extends Transform {
  readonly scanner = new DumpScanner();

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.scanner.write(chunk);
    this.onBytes?.(this.scanner.facts.bytes);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.scanner.end();
    done();
  }

  get facts(): DumpFacts {
    return this.scanner.facts;
  }
}

/** Major version from strings like `15.8 (Debian 15.8-0+deb12u1)` or `9.6.24`. */
export function majorVersion(version: string | undefined): number | undefined {
  const m = version?.match(/^(\d+)(?:\.(\d+))?/);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major < 10 && m[2] !== undefined ? Number(`${m[1]}.${m[2]}`) : major;
}
