/**
 * d90 / r90 from a sweep: per-seed crossings, then mean and spread over seeds, assembled into
 * the `ThresholdResult` record the plots and report read.
 *
 * @module
 */
import type { ThresholdResult } from "../results/threshold_result.ts";
import { type CrossingKind, findCrossing } from "./crossing.ts";

/** One measured point of a sweep: (size, seed) → score (null: every lr failed). */
export type SweepPoint = ThresholdResult["points"][number];

/** What `computeThreshold` needs besides the points: the identity and baseline of the sweep. */
export type ThresholdInput =
  & Pick<ThresholdResult, "model" | "task" | "method" | "metric" | "baseline">
  & Pick<ThresholdResult, "baselineSource" | "fraction" | "modelParams" | "pretrainSteps">
  & { points: SweepPoint[]; runsSaved?: number };

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
 * Computes d90/r90 (or any fraction). Each seed's curve gives its own crossing; `value` and
 * `interpolated` are their means when every seed reached the target, else null (some seed needs
 * more than the grid's largest value). `spread` is the sample standard deviation of the per-seed
 * grid values.
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
    value: allReached ? mean(vals) : null,
    interpolated: allReached ? mean(interps) : null,
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
