/**
 * Adaptive search for d90/r90: instead of running every grid point, bisect on the (log-spaced)
 * grid for the first point reaching the target. When the score rises monotonically with the size,
 * the points it evaluates always include the first point reaching the target and the one just
 * below it, so `findCrossing` over the evaluated points gives exactly the full grid's answer,
 * interpolation included.
 *
 * @module
 */
import { type CurvePoint, reaches, sortCurve } from "./crossing.ts";

/** The outcome of one bisection. */
export interface BisectOutcome {
  /** Evaluated points, in size order. */
  points: CurvePoint[];
  /** Number of grid points evaluated. */
  evaluated: number;
  /** Grid points skipped (grid length − evaluated). */
  skipped: number;
}

/**
 * Bisects `grid` (sizes; sorted here) for the first value whose score reaches `target`.
 * `evaluate` is called at most once per size, about log2(n) + 1 times in all. A null score
 * (every run diverged) counts as not reaching the target.
 */
export async function bisectGrid(
  grid: number[],
  target: number,
  evaluate: (size: number) => Promise<number | null>,
): Promise<BisectOutcome> {
  const sizes = sortCurve(grid.map((size) => ({ size, value: null }))).map((p) => p.size);
  const seen = new Map<number, number | null>();
  const at = async (i: number): Promise<number | null> => {
    const s = sizes[i];
    if (!seen.has(s)) seen.set(s, await evaluate(s));
    return seen.get(s)!;
  };
  // Invariant: every index ≤ lo is below the target (lo = −1: none known), every index ≥ hi
  // reaches it (hi = n: none known). Ends with hi − lo = 1, both ends evaluated where in range.
  let lo = -1;
  let hi = sizes.length;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reaches(await at(mid), target)) hi = mid;
    else lo = mid;
  }
  const points = sortCurve([...seen].map(([size, value]) => ({ size, value })));
  return { points, evaluated: seen.size, skipped: sizes.length - seen.size };
}
