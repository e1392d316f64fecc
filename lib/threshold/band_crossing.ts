/**
 * The reported interval of d90 / r90: where the 95% confidence band of (seed-mean − target)
 * crosses zero.
 *
 * Per grid size k, the difference between the seed-mean and the target, D_k = m_k − f·B (m_k the
 * mean over the n_k seeds at k, B the mean over the baseline's n_b seeds, f the fraction), has
 * the standard error SE_k = √(s_k²/n_k + f²·s_b²/n_b) and a Welch–Satterthwaite t interval
 * D_k ± t(0.975, ν_k)·SE_k (for a reference baseline the target is a constant: SE_k = s_k/√n_k,
 * ν_k = n_k − 1). The upper band U_k = D_k + t·SE_k and the lower band L_k = D_k − t·SE_k are
 * two curves over the grid:
 *
 * - the interval's low end is where U first reaches 0 (the smallest size at which the mean
 *   could plausibly reach the target), the high end where L first reaches 0 (the smallest size
 *   at which it does so beyond reasonable doubt); an end that never reaches 0 is null, "beyond
 *   the grid";
 * - for the grid statistic (`value`) the ends are grid sizes; for `interpolated` they are the
 *   bands' log-interpolated crossings, as the estimator interpolates the mean curve.
 *
 * Why not a bootstrap over seeds: with 3 seeds a resample only ever sees the seeds' own range and
 * normal tails, so its interval covered the true crossing in 73% of simulated studies; the band
 * uses t tails with the seeds' degrees of freedom and covers it at about the nominal rate
 * (`tests/threshold/band_crossing_test.ts`). Needs at least 2 seeds at every size used and, for
 * a measured baseline, at least 2 baseline seeds; otherwise there is no interval.
 *
 * @module
 */
import { tQuantile } from "../report/mod.ts";
import { findCrossing } from "./crossing.ts";
import { moments, type SeedPoint, valuesBySize } from "./seed_stats.ts";

/** The band interval of both statistics (null ends: beyond the grid's largest size). */
export interface CrossingBand {
  value: { low: number | null; high: number | null };
  interpolated: { low: number | null; high: number | null };
  confidence: number;
  method: "t-band";
}

/**
 * The band interval of the seed-mean crossing, or null when some size has fewer than 2 seeds
 * with a value, or a measured baseline has fewer than 2 seeds.
 */
export function bandCrossing(
  points: readonly SeedPoint[],
  baselineValues: readonly number[],
  baseline: number,
  fraction: number,
  confidence = 0.95,
): CrossingBand | null {
  const measured = baselineValues.length > 0;
  const b = measured ? moments(baselineValues) : { n: Infinity, mean: baseline, variance: 0 };
  if (measured && b.n < 2) return null;
  const target = fraction * b.mean;
  const targetVar = measured ? fraction * fraction * b.variance / b.n : 0;
  const upper: { size: number; value: number }[] = [];
  const lower: { size: number; value: number }[] = [];
  for (const [size, values] of valuesBySize(points)) {
    if (values.length < 2) return null;
    const m = moments(values);
    const meanVar = m.variance / m.n;
    const se = Math.sqrt(meanVar + targetVar);
    // Welch–Satterthwaite degrees of freedom of the difference.
    const nu = se === 0 ? m.n - 1 : se ** 4 /
      (meanVar ** 2 / (m.n - 1) + (measured ? targetVar ** 2 / (b.n - 1) : 0));
    const h = tQuantile(1 - (1 - confidence) / 2, Math.max(1, nu)) * se;
    // As curves in the metric's units, compared with the target: mean ± h.
    upper.push({ size, value: m.mean + h });
    lower.push({ size, value: m.mean - h });
  }
  const up = findCrossing(upper, target);
  const lo = findCrossing(lower, target);
  return {
    value: { low: up.value, high: lo.value },
    interpolated: { low: up.interpolated, high: lo.interpolated },
    confidence,
    method: "t-band",
  };
}
