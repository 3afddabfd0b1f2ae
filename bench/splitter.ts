// `node --expose-gc out/bench/splitter.js [kind] [MiB]`: how fast SqlScriptSplitter cuts a script, in
// memory, fed in the 256 KiB chunks the restore's inflater gives it. Not a test: it prints
// MiB/s and the peak RSS for the issue notes. Kinds:
//   inserts    a `pg_dump --inserts` style script (one INSERT per line)
//   copy       a pg_dump script of COPY rows
//   sqlline    one INSERT statement on a single line of that size
//   dataline   one COPY row on a single line of that size
import { SqlScriptSplitter } from '../src/core/postgres';

const CHUNK = 256 * 1024;
const kind = process.argv[2] ?? 'inserts';
const mib = Number(process.argv[3] ?? 64);
const size = mib * 1024 * 1024;

function script(): Buffer {
  if (kind === 'sqlline') return Buffer.from(`INSERT INTO public.t VALUES (1, '${'x'.repeat(size)}');\n`);
  if (kind === 'dataline') return Buffer.from(`COPY public.t (id, body) FROM stdin;\n1\t${'x'.repeat(size)}\n\\.\n`);
  const rows: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < size; i++) {
    const row =
      kind === 'copy'
        ? `${i}\tuser ${i}\tuser${i}@example.com\t2024-01-${String((i % 28) + 1).padStart(2, '0')} 12:00:00+00\t${i % 3 === 0 ? '\\N' : "it's fine"}\n`
        : `INSERT INTO public.users VALUES (${i}, 'user ${i}', 'user${i}@example.com', '2024-01-${String((i % 28) + 1).padStart(2, '0')} 12:00:00+00', ${i % 3 === 0 ? 'NULL' : "E'it\\'s fine'"});\n`;
    rows.push(row);
    bytes += row.length;
  }
  const body = rows.join('');
  return Buffer.from(kind === 'copy' ? `COPY public.users (id, name, email, created, note) FROM stdin;\n${body}\\.\n` : body);
}

const input = script();
// The input's own garbage is collected first when node runs with --expose-gc.
(globalThis as { gc?: () => void }).gc?.();
const before = process.memoryUsage().rss;
let peak = before;
let best = Infinity;
for (let round = 0; round < 3; round++) {
  const splitter = new SqlScriptSplitter();
  let out = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < input.length; i += CHUNK) {
    for (const p of splitter.push(input.subarray(i, i + CHUNK)))
      out += p.kind === 'sql' ? p.text.length : p.kind === 'data' ? p.data.length : 3;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  for (const p of splitter.end()) out += p.kind === 'sql' ? p.text.length : p.kind === 'data' ? p.data.length : 3;
  best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (out !== input.length) throw new Error(`${out} of ${input.length} bytes came out`);
}
const inMib = input.length / 1024 / 1024;
console.log(
  `${kind}: ${inMib.toFixed(1)} MiB, best of 3 ${best.toFixed(2)} s = ${(inMib / best).toFixed(1)} MiB/s; RSS ${(before / 1024 / 1024).toFixed(0)} MiB with the input, peak ${(peak / 1024 / 1024).toFixed(0)} MiB`,
);
