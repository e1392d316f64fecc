/**
 * Where a sweep's score curve first reaches a target: the smallest grid value reaching it, and
 * a log-scale interpolated estimate between the last point below the target and the first point
 * at or above it. Pure functions; the threshold stage and the adaptive search both use them.
 *
 * @module
 */

/** One grid point of a sweep: its size (d or r) and its score (null: no usable run). */
export interface CurvePoint {
  size: number;
  value: number | null;
}

/**
 * How the crossing relates to the grid:
 * - `interior`: a point below the target precedes the first point reaching it;
 * - `first-point`: the grid's smallest value already reaches the target (the true threshold
 *   may be lower; `interpolated` is that grid value, an upper bound);
 * - `not-reached`: no grid value reaches the target (value and interpolated are null).
 */
export type CrossingKind = "interior" | "first-point" | "not-reached";

/** The crossing of one curve. */
export interface Crossing {
  /** Smallest grid size whose value reaches the target, or null. */
  value: number | null;
  /** Log-scale interpolated crossing, or null when the curve never reaches the target. */
  interpolated: number | null;
  kind: CrossingKind;
  /** False when some point after a reaching point falls below the target again. */
  monotone: boolean;
}

/** Relative slack so a value equal to the target up to float rounding counts as reaching it. */
export const TARGET_TOLERANCE = 1e-9;

/** Whether `value` reaches `target` (≥, up to float rounding). Null never reaches. */
export function reaches(value: number | null, target: number): boolean {
  if (value === null || !Number.isFinite(value)) return false;
  return value >= target - TARGET_TOLERANCE * Math.max(1, Math.abs(target));
}

/** Sorts by size and checks that sizes are positive and distinct. */
export function sortCurve(points: CurvePoint[]): CurvePoint[] {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i].size;
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new RangeError(`grid sizes must be positive finite numbers, got ${s}`);
    }
    if (i > 0 && sorted[i - 1].size === s) {
      throw new RangeError(`grid size ${s} appears twice in one curve`);
    }
  }
  return sorted;
}

/**
 * Interpolates on log(size) between (s0, v0) below the target and (s1, v1) at or above it:
 * log s = log s0 + (target − v0) / (v1 − v0) · (log s1 − log s0).
 */
export function logInterpolate(
  s0: number,
  v0: number,
  s1: number,
  v1: number,
  target: number,
): number {
  if (v1 <= v0) return s1;
  const t = Math.min(1, Math.max(0, (target - v0) / (v1 - v0)));
  return Math.exp(Math.log(s0) + t * (Math.log(s1) - Math.log(s0)));
}

/**
 * The crossing of a curve with `target`. The first grid point (in size order) reaching the
 * target gives `value`, whatever comes after it (a non-monotone curve is flagged, not
 * smoothed). Points with a null value (diverged, failed) never reach the target and are skipped
 * as interpolation anchors.
 */
export function findCrossing(points: CurvePoint[], target: number): Crossing {
  const curve = sortCurve(points);
  const i = curve.findIndex((p) => reaches(p.value, target));
  if (i < 0) return { value: null, interpolated: null, kind: "not-reached", monotone: true };
  const monotone = curve.slice(i + 1).every((p) => reaches(p.value, target));
  const hit = curve[i];
  let below: CurvePoint | undefined;
  for (let j = i - 1; j >= 0; j--) {
    if (curve[j].value !== null && Number.isFinite(curve[j].value)) {
      below = curve[j];
      break;
    }
  }
  if (i === 0 || below === undefined) {
    return { value: hit.size, interpolated: hit.size, kind: "first-point", monotone };
  }
  const interpolated = logInterpolate(below.size, below.value!, hit.size, hit.value!, target);
  return { value: hit.size, interpolated, kind: "interior", monotone };
}
