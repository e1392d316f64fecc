/**
 * d90 / r90 from a sweep, assembled into the `ThresholdResult` record the plots and report read:
 * the estimator reads the seed-mean curve (first grid size whose mean over seeds reaches the
 * target, and the log-interpolated crossing), with its 95% interval from the t band of
 * (seed-mean − target) (`band_crossing.ts`; the bootstrap over seeds, `bootstrap_crossing.ts`,
 * is kept beside it), the mean curve's 95% t-intervals, the target's interval and the
 * curve's significant falls (`seed_stats.ts`). Per-seed crossings are kept beside it.
 *
 * @module
 */
import type { ThresholdResult } from "../results/mod.ts";
import { bootstrapCrossing, type BootstrapSettings } from "./bootstrap_crossing.ts";
import { bandCrossing } from "./band_crossing.ts";
import { type CrossingKind, findCrossing } from "./crossing.ts";
import {
  FALL_RULE,
  meanCurve,
  SEED_CONFIDENCE,
  significantFalls,
  targetInterval,
} from "./seed_stats.ts";

/** One measured point of a sweep: (size, seed) → score (null: every lr failed). */
export type SweepPoint = ThresholdResult["points"][number];

/** What `computeThreshold` needs besides the points: the identity and baseline of the sweep. */
export type ThresholdInput =
  & Pick<ThresholdResult, "model" | "task" | "method" | "metric" | "baseline">
  & Pick<ThresholdResult, "baselineSource" | "fraction" | "modelParams" | "pretrainSteps">
  & {
    points: SweepPoint[];
    runsSaved?: number;
    /** The baseline's per-seed values (measured baselines); the target's interval and the
     * bootstrap resample them. Absent or empty: a fixed (reference) baseline. */
    baselineValues?: number[];
    /** Bootstrap over seeds; absent: no interval. */
    bootstrap?: BootstrapSettings;
  };

/** The estimator in words, recorded with every threshold. */
export const ESTIMATOR = "first grid size whose seed-mean reaches the target (and the " +
  "log-interpolated crossing before it); 95% interval: the first sizes where the upper and the " +
  "lower t band of (seed-mean − target) reach 0 (`band`; an end never reached is > grid max); " +
  "a percentile bootstrap over seeds is kept as `ci`";

/** Arithmetic mean. */
export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); null for fewer than two values. */
export function sampleStd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Computes d90/r90 (or any fraction). `value` and `interpolated` are the crossing of the
 * seed-mean curve (null when the mean never reaches the target); `band` their reported 95%
 * interval, `ci` the bootstrap interval over seeds. Each seed's own crossing is kept in `perSeed`; `spread` is the sample standard
 * deviation of the per-seed grid values when every seed reached the target.
 */
export function computeThreshold(input: ThresholdInput): ThresholdResult {
  const { baseline, fraction } = input;
  if (!Number.isFinite(baseline)) throw new RangeError(`baseline must be finite, got ${baseline}`);
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  }
  const target = fraction * baseline;
  const seeds = [...new Set(input.points.map((p) => p.seed))].sort((a, b) => a - b);
  const perSeed: ThresholdResult["perSeed"] = [];
  const kinds: CrossingKind[] = [];
  let monotone = true;
  for (const seed of seeds) {
    const c = findCrossing(
      input.points.filter((p) => p.seed === seed).map((p) => ({ size: p.size, value: p.value })),
      target,
    );
    perSeed.push({ seed, value: c.value, interpolated: c.interpolated, crossing: c.kind });
    kinds.push(c.kind);
    monotone &&= c.monotone;
  }
  const curve = meanCurve(input.points);
  const mc = findCrossing(curve.map((p) => ({ size: p.size, value: p.mean })), target);
  const baselineValues = input.baselineValues ?? [];
  const ti = baselineValues.length > 0 ? targetInterval(baselineValues, fraction) : null;
  const ci = input.bootstrap !== undefined && seeds.length >= 2
    ? bootstrapCrossing(input.points, baselineValues, baseline, fraction, input.bootstrap)
    : null;
  const band = seeds.length >= 2
    ? bandCrossing(input.points, baselineValues, baseline, fraction, SEED_CONFIDENCE)
    : null;
  const values = perSeed.map((s) => s.value);
  const allReached = values.length > 0 && values.every((v) => v !== null);
  const vals = values as number[];
  const interps = perSeed.map((s) => s.interpolated as number);
  return {
    model: input.model,
    task: input.task,
    method: input.method,
    metric: input.metric,
    baseline,
    baselineSource: input.baselineSource,
    fraction,
    target,
    value: mc.value,
    interpolated: mc.interpolated,
    crossing: mc.kind,
    estimator: ESTIMATOR,
    ci,
    band,
    curve,
    targetInterval: ti === null
      ? null
      : { n: ti.n, low: ti.low, high: ti.high, confidence: SEED_CONFIDENCE },
    falls: significantFalls(curve),
    fallRule: FALL_RULE,
    perSeed,
    spread: allReached ? sampleStd(vals) : null,
    interpolatedSpread: allReached ? sampleStd(interps) : null,
    monotone,
    points: [...input.points].sort((a, b) => a.seed - b.seed || a.size - b.size),
    runsSaved: input.runsSaved ?? 0,
    modelParams: input.modelParams,
    ...(input.pretrainSteps !== undefined ? { pretrainSteps: input.pretrainSteps } : {}),
  };
}
