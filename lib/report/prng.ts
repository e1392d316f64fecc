/**
 * A small seeded pseudo-random generator, so that every random choice in the report
 * (bootstrap resampling) is reproducible from a seed.
 *
 * @module
 */

/** A function returning uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * Mulberry32: a 32-bit seeded generator (period 2^32), plenty for bootstrap resampling.
 * The same seed always yields the same sequence.
 */
export function seededRandom(seed: number): Random {
  if (!Number.isFinite(seed)) {
    throw new Error(`seededRandom: seed must be a finite number, got ${seed}`);
  }
  let a = Math.trunc(seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
