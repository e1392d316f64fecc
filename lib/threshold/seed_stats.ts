/**
 * Uncertainty over seeds for one sweep: the seed-mean curve with a 95% t-interval per size, the
 * target's own interval (fraction × the baseline's seeds), and the significant falls of the mean
 * curve. Pure functions; `aggregate.ts` assembles them into the threshold record and the report
 * draws them.
 *
 * Rules (stated in README and the report):
 * - interval of a mean over n seeds: mean ± t(0.975, n − 1) · s / √n (sample sd s); none for n < 2;
 * - a significant fall: a later size whose mean is below an earlier size's mean by more than
 *   √(h1² + h2²), h the two points' 95% half-widths; tested only where both have ≥ 2 seeds.
 *
 * @module
 */
import { tQuantile } from "../report/mod.ts";

/** Two-sided confidence of every interval over seeds. */
export const SEED_CONFIDENCE = 0.95;

/** The fall rule in words (recorded with the threshold and printed in the report). */
export const FALL_RULE = "a later size's seed-mean is below an earlier size's by more than " +
  "√(h1² + h2²), h = the two 95% t-interval half-widths (tested where both have ≥ 2 seeds)";

/** A mean over seeds with its t-interval (low/high/halfWidth null with one seed). */
export interface MeanInterval {
  n: number;
  mean: number;
  low: number | null;
  high: number | null;
  halfWidth: number | null;
}

/** Count, mean and sample variance (NaN for fewer than 2 values) of `values`. */
export function moments(values: readonly number[]): { n: number; mean: number; variance: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? NaN : values.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { n, mean, variance };
}

/** The t-interval of the mean of `values` (n ≥ 1; no interval for n = 1). */
export function tInterval(values: readonly number[], confidence = SEED_CONFIDENCE): MeanInterval {
  if (values.length === 0) throw new RangeError("tInterval: no values");
  const { n, mean, variance } = moments(values);
  if (n < 2) return { n, mean, low: null, high: null, halfWidth: null };
  const h = tQuantile(1 - (1 - confidence) / 2, n - 1) * Math.sqrt(variance) / Math.sqrt(n);
  return { n, mean, low: mean - h, high: mean + h, halfWidth: h };
}

/** One size of the seed-mean curve; `mean` null when no seed has a usable value there. */
export interface MeanCurvePoint {
  size: number;
  /** Seeds with a usable value at this size. */
  n: number;
  mean: number | null;
  low: number | null;
  high: number | null;
}

/** A (size, seed) score; null: every lr failed. */
export interface SeedPoint {
  size: number;
  seed: number;
  value: number | null;
}

/** Per size (ascending), the seeds' usable (finite) values; a size with none has an empty list. */
export function valuesBySize(points: readonly SeedPoint[]): [number, number[]][] {
  const bySize = new Map<number, number[]>();
  for (const p of points) {
    const list = bySize.get(p.size) ?? [];
    if (p.value !== null && Number.isFinite(p.value)) list.push(p.value);
    bySize.set(p.size, list);
  }
  return [...bySize].sort((a, b) => a[0] - b[0]);
}

/** The seed-mean curve, sorted by size: per size the mean of the seeds' usable values. */
export function meanCurve(points: readonly SeedPoint[]): MeanCurvePoint[] {
  return valuesBySize(points).map(([size, values]) => {
    if (values.length === 0) return { size, n: 0, mean: null, low: null, high: null };
    const t = tInterval(values);
    return { size, n: t.n, mean: t.mean, low: t.low, high: t.high };
  });
}

/** The target and its interval: fraction × the baseline seeds' mean and t-interval. */
export interface TargetInterval {
  /** Baseline seeds behind it (0 for a reference baseline: no interval). */
  n: number;
  target: number;
  low: number | null;
  high: number | null;
}

/** fraction × (mean and 95% t-interval of the baseline's per-seed values). */
export function targetInterval(
  baselineValues: readonly number[],
  fraction: number,
): TargetInterval {
  const t = tInterval(baselineValues);
  return {
    n: t.n,
    target: fraction * t.mean,
    low: t.low === null ? null : fraction * t.low,
    high: t.high === null ? null : fraction * t.high,
  };
}

/** A significant fall of the seed-mean curve between two sizes. */
export interface Fall {
  from: number;
  to: number;
  /** mean(from) − mean(to), positive. */
  drop: number;
}

/**
 * The significant falls of a seed-mean curve (see the module rule): for each later size, the
 * earlier size with the largest significant drop to it (so each later size counts once).
 */
export function significantFalls(curve: readonly MeanCurvePoint[]): Fall[] {
  const falls: Fall[] = [];
  const half = (p: MeanCurvePoint) => p.high === null || p.mean === null ? null : p.high - p.mean;
  for (let j = 1; j < curve.length; j++) {
    const b = curve[j];
    const hb = half(b);
    if (b.mean === null || hb === null) continue;
    let best: Fall | null = null;
    for (let i = 0; i < j; i++) {
      const a = curve[i];
      const ha = half(a);
      if (a.mean === null || ha === null) continue;
      const drop = a.mean - b.mean;
      if (drop > Math.sqrt(ha * ha + hb * hb) && (best === null || drop > best.drop)) {
        best = { from: a.size, to: b.size, drop };
      }
    }
    if (best !== null) falls.push(best);
  }
  return falls;
}
