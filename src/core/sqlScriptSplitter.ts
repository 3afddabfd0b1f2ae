/**
 * What a plain-format pg_dump script becomes on the wire, in order: runs of whole SQL
 * statements (one simple Query each) and the rows of each `COPY … FROM stdin`.
 */
export type ScriptPiece =
  /** Whole statements. `copy`: the last one is a COPY FROM STDIN, whose rows come next. */
  | { kind: 'sql'; text: Buffer; copy: boolean }
  | { kind: 'data'; data: Buffer }
  | { kind: 'copyEnd' };

/** Something in the script that only psql itself can run; the caller falls back to psql. */
export class UnsupportedScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedScriptError';
  }
}

/** The script stops mid-way (inside COPY rows or a quoted string): a dump cut off, not a psql matter. */
export class IncompleteScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompleteScriptError';
  }
}

const NL = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const SEMI = 0x3b;
const QUOTE = 0x27;
const DQUOTE = 0x22;
const DOLLAR = 0x24;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;

/** Statements are sent in runs of about this size: large enough to pipeline, small enough to hold. */
const FLUSH_BYTES = 1024 * 1024;
const WORDS_LIMIT = 4096;

type State = 'normal' | 'single' | 'escape' | 'double' | 'dollar' | 'block';
/** What the statement's first word makes it: only COPY and SET need a closer look. */
type Kind = 'unknown' | 'copy' | 'set' | 'other';
/** Longer than any keyword looked for: a word cut here can no longer be mistaken for one. */
const WORD_LIMIT = 7;

/**
 * Splits a SQL script as psql would: statements end at a `;` outside quotes, dollar quotes and
 * comments; the lines after a COPY FROM STDIN are its rows, up to a `\.` line. Bytes are
 * lexed, not decoded: every character that matters is ASCII, and UTF-8 never reuses those
 * bytes. Of psql's own commands only `\restrict` and `\unrestrict` (which newer pg_dump
 * versions write around a script) are understood, and dropped: anything else, and
 * `standard_conforming_strings = off`, which changes how quotes end, throws
 * UnsupportedScriptError before anything of it is sent.
 */
export class SqlScriptSplitter {
  private inData = false;
  private state: State = 'normal';
  private blockDepth = 0;
  private dollarTag: Buffer | undefined;
  /** The statement so far has nothing but white space and comments. */
  private atStart = true;
  /** A SET statement so far, comments left out and quoted text kept: does it turn standard_conforming_strings off? */
  private words = '';
  private kind: Kind = 'unknown';
  /** The unquoted word being read (upper case, cut at WORD_LIMIT) and the one before it. */
  private word = '';
  private lastWord = '';
  /** A COPY statement has said FROM STDIN / TO STDOUT, as unquoted words. */
  private fromStdin = false;
  private toStdout = false;
  private prevByte = NL;
  private prev2 = NL;
  private carry: Buffer | undefined;
  private sql: Buffer[] = [];
  private sqlBytes = 0;
  /** Bytes of `sql` up to the end of the last whole statement. */
  private sqlWholeBytes = 0;
  private out: ScriptPiece[] = [];

  push(chunk: Buffer): ScriptPiece[] {
    let pos = 0;
    if (this.carry) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return this.take();
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl + 1)]);
      this.carry = undefined;
      this.lines(line, 0, line.length);
      pos = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(NL);
    if (lastNl >= pos) {
      this.lines(chunk, pos, lastNl + 1);
      pos = lastNl + 1;
    }
    if (pos < chunk.length) this.carry = Buffer.from(chunk.subarray(pos));
    return this.take();
  }

  /** The end of the script: what is left, or an error when it stops inside a COPY or a quote. */
  end(): ScriptPiece[] {
    if (this.carry) {
      const line = this.carry;
      this.carry = undefined;
      this.lines(line, 0, line.length);
    }
    if (this.inData) throw new IncompleteScriptError('it ends inside the rows of a COPY, before its \\. line');
    if (this.state !== 'normal' && this.state !== 'block') throw new IncompleteScriptError('it ends inside a quoted string');
    if (this.sqlBytes) this.flush(this.sqlBytes, false);
    return this.take();
  }

  private take(): ScriptPiece[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** `buf[from, to)` holds whole lines (the last may lack its newline at the end of input). */
  private lines(buf: Buffer, from: number, to: number): void {
    let pos = from;
    while (pos < to) {
      if (this.inData) {
        pos = this.data(buf, pos, to);
        continue;
      }
      const nl = buf.indexOf(NL, pos);
      const end = nl === -1 || nl >= to ? to : nl + 1;
      this.sqlLine(buf, pos, end);
      pos = end;
    }
  }

  /** COPY rows from `pos` (a line start) up to the `\.` line; returns where it stopped. */
  private data(buf: Buffer, pos: number, to: number): number {
    let s = pos;
    while (s < to) {
      if (buf[s] === BACKSLASH && buf[s + 1] === DOT && s + 2 < to && (buf[s + 2] === NL || (buf[s + 2] === CR && buf[s + 3] === NL))) {
        if (s > pos) this.out.push({ kind: 'data', data: buf.subarray(pos, s) });
        this.out.push({ kind: 'copyEnd' });
        this.inData = false;
        return s + (buf[s + 2] === NL ? 3 : 4);
      }
      const nl = buf.indexOf(NL, s);
      if (nl === -1 || nl >= to) break;
      const next = buf.indexOf('\n\\.', nl);
      s = next === -1 || next >= to ? to : next + 1;
    }
    if (to > pos) this.out.push({ kind: 'data', data: buf.subarray(pos, to) });
    return to;
  }

  private sqlLine(buf: Buffer, start: number, end: number): void {
    let i = start;
    if (this.state === 'normal' && this.atStart) {
      let j = start;
      while (j < end && (buf[j] === 0x20 || buf[j] === 0x09)) j++;
      if (buf[j] === BACKSLASH) {
        const command = buf.subarray(j, end).toString('utf8').trim().split(/\s+/)[0];
        if (command === '\\restrict' || command === '\\unrestrict') {
          // psql's guard against a script that carries other commands: nothing for the server.
          this.prevByte = NL;
          return;
        }
        throw new UnsupportedScriptError(`the script uses the psql command ${command}`);
      }
    }
    let segment = start;
    while (i < end) {
      const c = buf[i];
      switch (this.state) {
        case 'normal':
          if (c === SEMI) {
            this.append(buf, segment, i + 1);
            segment = i + 1;
            const copy = this.statementEnd();
            if (copy) {
              // The rows start on the next line; nothing but white space may follow the `;`.
              if (buf.subarray(i + 1, end).toString('latin1').trim()) throw new UnsupportedScriptError('text after a COPY FROM STDIN on the same line');
              this.append(buf, segment, end);
              this.flush(this.sqlBytes, true);
              this.inData = true;
              this.prevByte = NL;
              return;
            }
          } else if (c === QUOTE) {
            // E'…' is an escape string when the E is a word of its own, not the end of one.
            this.state = (this.prevByte === 0x45 || this.prevByte === 0x65) && !isIdentByte(this.prev2) ? 'escape' : 'single';
            this.significant(c);
          } else if (c === DQUOTE) {
            this.state = 'double';
            this.significant(c);
          } else if (c === DASH && buf[i + 1] === DASH) {
            this.space();
            i = end - 1;
          } else if (c === SLASH && buf[i + 1] === STAR) {
            this.space();
            this.state = 'block';
            this.blockDepth = 1;
            i++;
          } else if (c === DOLLAR && !isIdentByte(this.prevByte)) {
            const tag = dollarTag(buf, i, end);
            this.significant(c);
            if (tag) {
              this.state = 'dollar';
              this.dollarTag = tag;
              i += tag.length - 1;
            }
          } else if (c !== 0x20 && c !== 0x09 && c !== NL && c !== CR) {
            this.significant(c);
          } else {
            this.space();
          }
          break;
        case 'single':
        case 'escape':
          // The text of strings is kept: `SET standard_conforming_strings = 'off'` must be seen.
          if (this.kind === 'set' && this.words.length < WORDS_LIMIT) this.words += String.fromCharCode(c);
          if (c === BACKSLASH && this.state === 'escape') i++;
          else if (c === QUOTE) {
            if (buf[i + 1] === QUOTE) i++;
            else this.state = 'normal';
          }
          break;
        case 'double':
          if (c === DQUOTE) {
            if (buf[i + 1] === DQUOTE) i++;
            else this.state = 'normal';
          }
          break;
        case 'dollar': {
          // Searched within this line only: a long body must not cost a scan of the chunk per line.
          const at = buf.subarray(i, end).indexOf(this.dollarTag!);
          if (at === -1) {
            i = end - 1;
          } else {
            i += at + this.dollarTag!.length - 1;
            this.state = 'normal';
          }
          break;
        }
        case 'block':
          if (c === SLASH && buf[i + 1] === STAR) {
            this.blockDepth++;
            i++;
          } else if (c === STAR && buf[i + 1] === SLASH) {
            i++;
            if (--this.blockDepth === 0) this.state = 'normal';
          }
          break;
      }
      this.prev2 = this.prevByte;
      this.prevByte = buf[i];
      i++;
    }
    this.append(buf, segment, end);
    // A line that ends between statements: a piece cut here keeps its newline.
    if (this.state === 'normal' && this.atStart) this.sqlWholeBytes = this.sqlBytes;
    if (this.sqlWholeBytes >= FLUSH_BYTES) this.flush(this.sqlWholeBytes, false);
  }

  /** A byte outside quotes and comments that is not white space (a quote that opens included). */
  private significant(c: number): void {
    this.atStart = false;
    if (this.kind === 'other') return;
    if (this.kind !== 'copy' && this.words.length < WORDS_LIMIT) this.words += String.fromCharCode(c);
    if (isIdentByte(c)) {
      if (this.word.length < WORD_LIMIT) this.word += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
      return;
    }
    // A statement that starts with punctuation is neither a COPY nor a SET.
    if (this.kind === 'unknown' && !this.word) this.kind = 'other';
    this.endWord();
    this.lastWord = '';
  }

  /** White space or a comment: it ends a word. */
  private space(): void {
    if (this.atStart || this.kind === 'other') return;
    if (this.kind !== 'copy' && this.words.length < WORDS_LIMIT) this.words += ' ';
    this.endWord();
  }

  /**
   * Keywords are read word by word, with no limit on how far into the statement they come:
   * the column list of a wide table puts FROM STDIN many kilobytes after the COPY.
   */
  private endWord(): void {
    if (!this.word) return;
    if (this.kind === 'unknown') this.kind = this.word === 'COPY' ? 'copy' : this.word === 'SET' ? 'set' : 'other';
    else if (this.lastWord === 'FROM' && this.word === 'STDIN') this.fromStdin = true;
    else if (this.lastWord === 'TO' && this.word === 'STDOUT') this.toStdout = true;
    this.lastWord = this.word;
    this.word = '';
  }

  /** A `;` ended a statement: is it a COPY FROM STDIN? */
  private statementEnd(): boolean {
    this.endWord();
    const { kind, fromStdin, toStdout } = this;
    const words = this.words.replace(/\s+/g, ' ').trim();
    this.words = '';
    this.kind = 'unknown';
    this.lastWord = '';
    this.fromStdin = this.toStdout = false;
    this.atStart = true;
    this.sqlWholeBytes = this.sqlBytes;
    if (kind === 'set' && /^SET (SESSION |LOCAL )?standard_conforming_strings ?(=|TO) ?'?off/i.test(words)) {
      throw new UnsupportedScriptError('the script turns standard_conforming_strings off');
    }
    if (kind !== 'copy') return false;
    if (fromStdin) return true;
    if (toStdout) throw new UnsupportedScriptError('the script has a COPY TO STDOUT');
    return false;
  }

  private append(buf: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.sql.push(buf.subarray(from, to));
    this.sqlBytes += to - from;
  }

  /** Sends `bytes` of the collected SQL as one piece; the rest (a statement begun) stays. */
  private flush(bytes: number, copy: boolean): void {
    const all = this.sql.length === 1 ? this.sql[0] : Buffer.concat(this.sql, this.sqlBytes);
    // A copy: the caller may reuse its chunk once this call returns.
    this.out.push({ kind: 'sql', text: Buffer.from(all.subarray(0, bytes)), copy });
    const rest = all.subarray(bytes);
    this.sql = rest.length ? [Buffer.from(rest)] : [];
    this.sqlBytes = rest.length;
    this.sqlWholeBytes = 0;
  }
}

function isIdentByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === DOLLAR || b >= 0x80;
}

/** `$$` or `$tag$` at `i`, as the bytes to look for at its end; undefined for `$1` and the like. */
function dollarTag(buf: Buffer, i: number, end: number): Buffer | undefined {
  let j = i + 1;
  if (j < end && buf[j] === DOLLAR) return buf.subarray(i, j + 1);
  const first = buf[j];
  if (!(first === 0x5f || (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a) || first >= 0x80)) return undefined;
  while (j < end && isIdentByte(buf[j]) && buf[j] !== DOLLAR) j++;
  return j < end && buf[j] === DOLLAR ? Buffer.from(buf.subarray(i, j + 1)) : undefined;
}
