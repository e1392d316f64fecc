/**
 * Summaries of a singular-value spectrum: the effective rank at a fraction of the Frobenius
 * energy (the fewest leading singular values whose squares sum to that fraction of Σσ²) and the
 * stable rank ‖ΔW‖²_F / ‖ΔW‖²₂ = Σσ² / σ₁².
 *
 * @module
 */

/** The energy fractions the spectrum records report. */
export const ENERGY_FRACTIONS = [0.5, 0.9, 0.99] as const;

/**
 * Relative slack on the energy comparison: a cumulative sum that equals the target up to
 * rounding (a spectrum with exactly 90% in its first k values) counts as reaching it.
 */
const SLACK = 1e-9;

/**
 * The fewest leading singular values (descending) holding `fraction` of Σσ²; 0 for a zero
 * spectrum.
 */
export function effectiveRank(sigma: ArrayLike<number>, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`energy fraction must be in (0, 1], got ${fraction}`);
  }
  let total = 0;
  for (let i = 0; i < sigma.length; i++) total += sigma[i] * sigma[i];
  if (total === 0) return 0;
  const target = fraction * total * (1 - SLACK);
  let cum = 0;
  for (let i = 0; i < sigma.length; i++) {
    cum += sigma[i] * sigma[i];
    if (cum >= target) return i + 1;
  }
  return sigma.length;
}

/** Σσ² / σ₁² (0 for a zero spectrum). `sigma` is descending. */
export function stableRank(sigma: ArrayLike<number>): number {
  if (sigma.length === 0 || sigma[0] === 0) return 0;
  let total = 0;
  for (let i = 0; i < sigma.length; i++) total += sigma[i] * sigma[i];
  return total / (sigma[0] * sigma[0]);
}

/** The Frobenius norm of a matrix's values, in float64. */
export function frobeniusNorm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}
