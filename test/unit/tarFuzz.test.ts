import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { READERS, readAll } from './helpers/allReaders';
import { END, RawHeader, blocks, rawHeader, writeTarGz } from './helpers/hostileTar';

// fast-check is not a dependency; a seeded generator keeps every failure reproducible instead:
// LIFEBOAT_FUZZ_SEED=<seed printed below> reruns the same archives.
const SEED = Number(process.env.LIFEBOAT_FUZZ_SEED ?? Date.now() % 2 ** 31);
/** Stops generating after this long: the whole test stays well under 10 s. */
const BUDGET_MS = 5000;
const MAX_CASES = 400;

/** mulberry32: small, seedable, good enough to pick cases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Builds one archive of a few entries, most plausible, some hostile, some mangled afterwards. */
function generate(rnd: () => number): { tar: Buffer; story: string[] } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  // Mostly names an honest archiver writes, so that accepting is exercised as much as refusing.
  const part = () => (rnd() < 0.08 ? pick(['.', '..', '']) : pick(['a', 'b', 'c']));
  const name = () => Array.from({ length: 1 + Math.floor(rnd() * 3) }, part).join('/') + pick(['', '', '', '/']);
  const story: string[] = [];
  const chunks: Buffer[] = [];
  for (let i = Math.floor(rnd() * 5); i >= 0; i--) {
    const typeflag = rnd() < 0.9 ? pick(['0', '0', '0', '5', '5', '2', '1']) : pick(['6', '3', 'x', 'g']);
    const h: RawHeader = { name: rnd() < 0.05 ? `/${name()}` : pick(['', '', './']) + name(), typeflag };
    if (typeflag === '2' || typeflag === '1') h.linkname = rnd() < 0.8 ? pick(['a', 'b', 'c', 'a/b', '../a']) : pick(['/etc', 'a/..', '']);
    const body = typeflag === '0' ? 'x'.repeat(pick([0, 1, 511, 512, 513, 20_000])) : '';
    h.size = typeflag === '5' && rnd() < 0.1 ? 1024 : body.length;
    if (rnd() < 0.03) h.mtime = 2n ** 62n;
    story.push(JSON.stringify({ ...h, mtime: String(h.mtime ?? 0) }));
    chunks.push(rawHeader(h), blocks(h.typeflag === '5' && h.size ? Buffer.alloc(h.size) : body));
  }
  if (rnd() < 0.95) chunks.push(END);
  let tar = Buffer.concat(chunks);
  const mangle = rnd();
  if (mangle < 0.08) {
    const at = Math.floor(rnd() * tar.length);
    tar = Buffer.concat([tar.subarray(0, at), Buffer.from([Math.floor(rnd() * 256)]), tar.subarray(at + 1)]);
    story.push(`byte ${at} replaced`);
  } else if (mangle < 0.14) {
    const at = Math.floor(rnd() * tar.length);
    tar = tar.subarray(0, at);
    story.push(`cut at ${at}`);
  }
  return { tar, story };
}

describe('tar readers under a seeded fuzz', () => {
  let root: string;
  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'lb-tar-fuzz-'));
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('every reader settles on random and mangled archives, and all four accept or refuse alike', async function () {
    this.timeout(20_000);
    console.log(`      seed ${SEED} (LIFEBOAT_FUZZ_SEED=${SEED} reproduces it)`);
    const rnd = random(SEED);
    const started = performance.now();
    let cases = 0;
    let refused = 0;
    while (cases < MAX_CASES && performance.now() - started < BUDGET_MS) {
      const { tar, story } = generate(rnd);
      const dir = join(root, String(cases));
      await fs.mkdir(dir);
      const path = await writeTarGz(dir, 'case.tar.gz', tar);
      const out = await readAll(path, dir);
      const verdicts = READERS.map((r) => `${r}: ${out[r].settled === 'rejected' ? (out[r] as { error: Error }).error.message : 'accepted'}`);
      const accepted = READERS.filter((r) => out[r].settled === 'resolved').length;
      assert.ok(accepted === 0 || accepted === READERS.length, `seed ${SEED}, case ${cases}: the readers disagree\n${story.join('\n')}\n${verdicts.join('\n')}`);
      if (accepted === 0) refused++;
      await fs.rm(dir, { recursive: true, force: true });
      cases++;
    }
    console.log(`      ${cases} archives in ${(performance.now() - started).toFixed(0)} ms, ${refused} refused by all four`);
    assert.ok(cases >= 50, `only ${cases} cases ran within the budget`);
  });
});
