/**
 * What a plain-format pg_dump script becomes on the wire, in order: runs of whole SQL
 * statements (one simple Query each) and the rows of each `COPY … FROM stdin`.
 */
export type ScriptPiece =
  /** Whole statements. `copy`: the last one is a COPY FROM STDIN, whose rows come next. */
  { kind: 'sql'; text: Buffer; copy: boolean } | { kind: 'data'; data: Buffer } | { kind: 'copyEnd' };

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
/** Bytes that mean nothing outside quotes and comments once a statement is known to be neither COPY nor SET. */
const PLAIN = new Uint8Array(256).fill(1);
for (const c of [SEMI, QUOTE, DQUOTE, DASH, SLASH, DOLLAR]) PLAIN[c] = 0;
/** Where a line may start with `\`: the only lines of COPY rows worth a look. */
const NL_BACKSLASH = Buffer.from('\n\\');
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
  /** The start of a SQL line whose newline has not come yet: our own copies, joined once it does. */
  private carry: Buffer[] = [];
  /** In COPY rows: bytes of the current line were passed on already, so it is not the `\.` line. */
  private midLine = false;
  /** In COPY rows: a line start that may yet be the `\.` line (at most `\`, `.` and CR). */
  private held: Buffer | undefined;
  /** The statements not sent yet. The first `sqlOwned` pieces are our own; the rest point into the chunk being pushed. */
  private sql: Buffer[] = [];
  private sqlOwned = 0;
  private owning = false;
  /** The last stretch of SQL, not yet in `sql`: lines that follow each other in one buffer make one piece. */
  private seg: Buffer | undefined;
  private segFrom = 0;
  private segTo = 0;
  private segOwned = false;
  private sqlBytes = 0;
  /** Bytes of `sql` up to the end of the last whole statement. */
  private sqlWholeBytes = 0;
  private out: ScriptPiece[] = [];

  /**
   * The pieces the chunk completes. COPY rows come out as they arrive, pointing into `chunk`;
   * SQL is held until a run of whole statements is complete, then sent as one piece. Every
   * byte is looked at and copied a bounded number of times, however long its line.
   */
  push(chunk: Buffer): ScriptPiece[] {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.inData) {
        pos = this.data(chunk, pos);
        continue;
      }
      const nl = chunk.indexOf(NL, pos);
      if (nl === -1) {
        this.carry.push(Buffer.from(chunk.subarray(pos)));
        break;
      }
      if (this.carry.length) {
        this.carry.push(chunk.subarray(pos, nl + 1));
        const line = Buffer.concat(this.carry);
        this.carry = [];
        this.ownLine(line);
      } else {
        this.sqlLine(chunk, pos, nl + 1);
      }
      pos = nl + 1;
    }
    this.endSegment();
    if (this.sql.length > this.sqlOwned) {
      // Copied once, together: the caller may reuse its chunk for the next push.
      const mine = Buffer.concat(this.sql.slice(this.sqlOwned));
      this.sql.length = this.sqlOwned;
      this.sql.push(mine);
      this.sqlOwned = this.sql.length;
    }
    return this.take();
  }

  /** The end of the script: what is left, or an error when it stops inside a COPY or a quote. */
  end(): ScriptPiece[] {
    if (this.carry.length) {
      const line = Buffer.concat(this.carry);
      this.carry = [];
      this.ownLine(line);
    }
    if (this.inData && this.held && endOfData(this.held, 0, this.held.length, true) > 0) {
      // `\.` as the script's last bytes: psql's input ends there, and the server takes the
      // marker at the end of its input.
      this.held = undefined;
      this.inData = false;
      this.out.push({ kind: 'copyEnd' });
    }
    if (this.inData) throw new IncompleteScriptError('it ends inside the rows of a COPY, before its \\. line');
    if (this.state !== 'normal' && this.state !== 'block') throw new IncompleteScriptError('it ends inside a quoted string');
    if (this.sqlBytes) this.flush(this.sqlBytes, false);
    return this.take();
  }

  /** A line joined from the carry is ours: what of it waits in `sql` is never copied again. */
  private ownLine(line: Buffer): void {
    this.owning = true;
    try {
      this.sqlLine(line, 0, line.length);
    } finally {
      this.owning = false;
    }
  }

  private take(): ScriptPiece[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /**
   * COPY rows from `pos` on, up to a `\.` line (psql also takes `\.` CR LF); returns where
   * it stopped. Rows are passed on as they come, whole lines or not: only a line start that
   * may be the `\.` line waits (in `held`) for the bytes that decide it.
   */
  private data(buf: Buffer, pos: number): number {
    let lineStart = !this.midLine;
    if (this.held) {
      const held = this.held;
      const probe = Buffer.concat([held, buf.subarray(pos, pos + 4 - held.length)]);
      const m = endOfData(probe, 0, probe.length, false);
      this.held = undefined;
      if (m > 0) return this.copyEnd(pos + m - held.length);
      if (m < 0) {
        // Still undecided: this chunk was too short to tell.
        this.held = probe;
        return buf.length;
      }
      this.out.push({ kind: 'data', data: held });
      lineStart = false;
    }
    let i = pos;
    for (;;) {
      // A line start is never the chunk's end: `pos` is inside the chunk, and a later one is the
      // backslash found after a newline.
      if (lineStart) {
        const m = endOfData(buf, i, buf.length, false);
        if (m !== 0) {
          if (i > pos) this.out.push({ kind: 'data', data: buf.subarray(pos, i) });
          if (m > 0) return this.copyEnd(i + m);
          this.held = Buffer.from(buf.subarray(i));
          this.midLine = false;
          return buf.length;
        }
      }
      const next = buf.indexOf(NL_BACKSLASH, i);
      if (next === -1) break;
      i = next + 1;
      lineStart = true;
    }
    this.out.push({ kind: 'data', data: buf.subarray(pos) });
    this.midLine = buf[buf.length - 1] !== NL;
    return buf.length;
  }

  private copyEnd(at: number): number {
    this.out.push({ kind: 'copyEnd' });
    this.inData = false;
    this.midLine = false;
    return at;
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
          if (this.kind === 'other' && PLAIN[c]) {
            // Most of an INSERT: bytes that change nothing here are passed over in one go,
            // leaving the last two behind them as if walked one by one.
            const from = i;
            while (i + 1 < end && PLAIN[buf[i + 1]]) i++;
            if (i > from) this.prevByte = buf[i - 1];
          } else if (c === SEMI) {
            this.append(buf, segment, i + 1);
            segment = i + 1;
            const copy = this.statementEnd();
            if (copy) {
              // The rows start on the next line; nothing but white space may follow the `;`.
              if (
                buf
                  .subarray(i + 1, end)
                  .toString('latin1')
                  .trim()
              )
                throw new UnsupportedScriptError('text after a COPY FROM STDIN on the same line');
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
        case 'single': {
          // Only a quote ends it: short strings are walked, long ones searched within the
          // line (a string of many lines must not cost a scan of the chunk per line).
          let q = i;
          const walked = Math.min(end, i + 64);
          while (q < walked && buf[q] !== QUOTE) q++;
          if (q === walked && q < end) {
            const at = buf.subarray(q, end).indexOf(QUOTE);
            q = at === -1 ? end : q + at;
          }
          const last = q < end ? q : end - 1;
          // The text of strings is kept: `SET standard_conforming_strings = 'off'` must be seen.
          if (this.kind === 'set' && this.words.length < WORDS_LIMIT)
            this.words += buf.toString('latin1', i, Math.min(last + 1, i + WORDS_LIMIT));
          i = last;
          if (q < end) {
            if (buf[i + 1] === QUOTE) i++;
            else this.state = 'normal';
          }
          break;
        }
        case 'escape':
          if (this.kind === 'set' && this.words.length < WORDS_LIMIT) this.words += String.fromCharCode(c);
          if (c === BACKSLASH) i++;
          else if (c === QUOTE) {
            if (buf[i + 1] === QUOTE) i++;
            else this.state = 'normal';
          }
          break;
        case 'double': {
          const at = buf.subarray(i, end).indexOf(DQUOTE);
          if (at === -1) {
            i = end - 1;
          } else {
            i += at;
            if (buf[i + 1] === DQUOTE) i++;
            else this.state = 'normal';
          }
          break;
        }
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
    this.sqlBytes += to - from;
    if (this.seg === buf && this.segTo === from) {
      this.segTo = to;
      return;
    }
    this.endSegment();
    this.seg = buf;
    this.segFrom = from;
    this.segTo = to;
    this.segOwned = this.owning;
  }

  private endSegment(): void {
    if (!this.seg) return;
    this.sql.push(this.seg.subarray(this.segFrom, this.segTo));
    // Pieces before this push's are ours already, so the owned ones stay a prefix.
    if (this.segOwned) this.sqlOwned = this.sql.length;
    this.seg = undefined;
  }

  /**
   * Sends the first `bytes` of the collected SQL as one piece, joined once; the rest (a
   * statement begun) stays as it is, not copied again.
   */
  private flush(bytes: number, copy: boolean): void {
    this.endSegment();
    let n = 0;
    let taken = 0;
    while (taken < bytes && taken + this.sql[n].length <= bytes) taken += this.sql[n++].length;
    const parts = this.sql.slice(0, n);
    if (taken < bytes) {
      const cut = this.sql[n];
      parts.push(cut.subarray(0, bytes - taken));
      this.sql[n] = cut.subarray(bytes - taken);
    }
    // A piece of our own needs no copy; one that points into the caller's chunk does.
    const text = parts.length === 1 && this.sqlOwned > 0 ? parts[0] : Buffer.concat(parts, bytes);
    this.out.push({ kind: 'sql', text, copy });
    this.sql = this.sql.slice(n);
    this.sqlOwned = Math.max(0, this.sqlOwned - n);
    this.sqlBytes -= bytes;
    this.sqlWholeBytes = 0;
  }
}

/**
 * Whether `buf[i, end)`, at a line start in COPY rows, is the `\.` line: its length with the
 * line end (3 or 4) when it is, 0 when it is not, -1 when the bytes there do not tell yet.
 * At the end of the script (`final`) a `\.` with no line end counts.
 */
function endOfData(buf: Buffer, i: number, end: number, final: boolean): number {
  // Callers look at a line start inside the bytes they hold, so there is at least one.
  const n = end - i;
  const undecided = final ? 0 : -1;
  if (buf[i] !== BACKSLASH) return 0;
  if (n === 1) return undecided;
  if (buf[i + 1] !== DOT) return 0;
  if (n === 2) return final ? 2 : -1;
  if (buf[i + 2] === NL) return 3;
  if (buf[i + 2] !== CR) return 0;
  if (n === 3) return final ? 3 : -1;
  return buf[i + 3] === NL ? 4 : 0;
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
