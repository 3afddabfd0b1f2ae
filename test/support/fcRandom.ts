import fc from 'fast-check';

/**
 * A fixed seed by default, so the suite (and CI) gives the same answer every run; FC_SEED=random
 * explores new cases, and FC_SEED=<seed> replays the run fast-check printed on a failure (with
 * FC_PATH=<path> it goes straight to the shrunk case).
 */
export const FC_SEED: number | undefined = process.env.FC_SEED === 'random' ? undefined : Number(process.env.FC_SEED || 20261127);

export const replay: Pick<fc.Parameters<unknown>, 'seed' | 'path'> = {
  seed: FC_SEED,
  path: process.env.FC_PATH || undefined,
};

// Unbiased: fast-check's default bias toward small integers would skew every probability the
// generators were tuned with. One instance, as building it per draw doubles the cost of a draw.
const word = fc.noBias(fc.integer({ min: 0, max: 0xffff_ffff }));

/**
 * A uniform [0, 1) source drawn from fast-check, for generators written as a series of coin
 * flips: every flip is a recorded draw, so a failure replays from its seed and shrinks toward
 * the first choice of each pick.
 */
export function uniform(g: fc.GeneratorValue): () => number {
  return () => g(() => word) / 2 ** 32;
}

/**
 * A fast source from one drawn seed, for the bulk choices (where a stream cuts its chunks)
 * that would cost tens of thousands of recorded draws per case and gain nothing from shrinking
 * one by one. mulberry32.
 */
export function seeded(g: fc.GeneratorValue): () => number {
  let a = g(() => word);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
