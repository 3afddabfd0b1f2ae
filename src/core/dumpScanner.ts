import { Transform, TransformCallback } from 'node:stream';

const NL = 0x0a;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const PREFIX_LIMIT = 256;
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
  private firstLine = true;
  /** Inside a COPY block whose values are not needed: lines are counted, not looked at. */
  private countOnly = false;
  readonly facts: DumpFacts = { looksLikeDump: false, complete: false, tables: {}, copies: [], alembicHeads: [], bytes: 0 };

  write(chunk: Buffer): void {
    this.facts.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.countOnly && this.prefixLen === 0) {
        // Rows of a COPY block are only counted: no line is copied, which keeps a scan of a
        // large dump well below the cost of inflating it.
        const nl = chunk.indexOf(NL, pos);
        if (nl !== -1) {
          if (nl - pos === 2 && chunk[pos] === BACKSLASH && chunk[pos + 1] === DOT) this.endCopy();
          else this.copyRows++;
          pos = nl + 1;
          continue;
        }
      }
      const nl = chunk.indexOf(NL, pos);
      const end = nl === -1 ? chunk.length : nl;
      if (this.prefixLen < PREFIX_LIMIT) {
        const piece = chunk.subarray(pos, Math.min(end, pos + PREFIX_LIMIT - this.prefixLen));
        if (piece.length) {
          this.prefix.push(piece);
          this.prefixLen += piece.length;
        }
      }
      if (nl === -1) {
        // Keep only our own copy of the partial line: the caller may reuse its buffer.
        if (this.prefix.length) this.prefix = [Buffer.concat(this.prefix)];
        return;
      }
      const line = this.prefix.length === 1 ? this.prefix[0] : Buffer.concat(this.prefix);
      this.prefix = [];
      this.prefixLen = 0;
      this.line(line);
      pos = nl + 1;
    }
  }

  private endCopy(): void {
    this.facts.tables[this.copyTable!] = (this.facts.tables[this.copyTable!] ?? 0) + this.copyRows;
    this.facts.copies.push(this.copyTable!);
    this.copyTable = undefined;
    this.countOnly = false;
  }

  end(): DumpFacts {
    if (this.prefixLen) {
      const line = Buffer.concat(this.prefix);
      this.prefix = [];
      this.prefixLen = 0;
      this.line(line);
    }
    if (this.copyTable !== undefined) this.facts.unterminatedCopy = this.copyTable;
    return this.facts;
  }

  private line(line: Buffer): void {
    if (this.copyTable !== undefined) {
      if (line.length === 2 && line[0] === BACKSLASH && line[1] === DOT) {
        this.endCopy();
        return;
      }
      this.copyRows++;
      if (isAlembicTable(this.copyTable)) {
        const value = line.toString('utf8').split('\t')[0];
        if (value) this.facts.alembicHeads.push(value);
      }
      return;
    }
    if (line.length === 0) return;
    const text = line.toString('utf8');
    if (this.firstLine) {
      this.firstLine = false;
      this.facts.looksLikeDump = text.startsWith('--') || text.startsWith('\\restrict') || text.startsWith('SET ');
    }
    if (text.startsWith('COPY ') && text.trimEnd().endsWith('FROM stdin;')) {
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
