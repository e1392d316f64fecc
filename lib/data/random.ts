/**
 * Seeded randomness for data splits and sampling: every random choice takes a seed.
 *
 * @module
 */

/** A deterministic PRNG (mulberry32 over a splitmix32-scrambled seed); returns [0, 1). */
export function seededRandom(seed: number, stream = 0): () => number {
  let s = (Math.imul(seed >>> 0, 0x9e3779b9) ^ Math.imul(stream >>> 0, 0x85ebca6b)) >>> 0;
  s = (s ^ (s >>> 16)) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stream ids, so that different uses of one seed draw independent numbers. */
export const STREAMS = {
  select: 1,
  report: 2,
  subsample: 3,
  pairs: 4,
} as const;

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
