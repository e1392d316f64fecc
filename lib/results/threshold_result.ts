/**
 * `ThresholdResult`: d90 or r90 of one (model, task, method), written by `threshold` and
 * `threshold-search` as `threshold.json` and read by `collect-results`.
 *
 * @module
 */
import * as path from "node:path";
import { z } from "zod";
import { readJsonRecord, writeJsonAtomic } from "./json_file.ts";
import { finite } from "./run_result.ts";
import { SWEEP_METHODS } from "./methods.ts";
import { missingRecordSchema } from "./missing.ts";

/** The file a threshold stage writes. */
export const THRESHOLD_FILE = "threshold.json";

/** Where a seed's curve crosses the target. */
const crossingSchema = z.enum(["interior", "first-point", "not-reached"]);

/** An interval end that is null lies beyond the grid's largest size ("> grid max"). */
const crossingIntervalSchema = z.object({
  low: finite.positive().nullable(),
  high: finite.positive().nullable(),
});

/** The bootstrap interval over seeds of the seed-mean crossing (lib/threshold/bootstrap_crossing.ts). */
export const crossingBootstrapSchema = z.object({
  value: crossingIntervalSchema,
  interpolated: crossingIntervalSchema,
  confidence: finite,
  /** The percentiles taken (the expanded percentile interval for few seeds). */
  levels: z.object({ low: finite, high: finite }).optional(),
  resamples: finite,
  seed: finite,
  /** Share of draws whose mean curve never reached the target. */
  notReached: finite,
  sweepSeeds: finite,
  baselineSeeds: finite,
});

/** One size of the seed-mean curve with its 95% t-interval (null ends: one seed). */
export const meanCurvePointSchema = z.object({
  size: finite,
  n: finite,
  mean: finite.nullable(),
  low: finite.nullable(),
  high: finite.nullable(),
});

/** A significant fall of the seed-mean curve. */
export const fallSchema = z.object({ from: finite, to: finite, drop: finite });

/** d90 or r90 for one (model, task, method). */
export const thresholdResultSchema = z.looseObject({
  model: z.string(),
  task: z.string(),
  method: z.enum(SWEEP_METHODS as ["did", "said", "lora"]),
  metric: z.string(),
  /** Full fine-tuning value the target is a fraction of. */
  baseline: finite,
  /** `measured` by the pipeline's own full fine-tuning run, or a `reference` value from the config. */
  baselineSource: z.enum(["measured", "reference"]),
  /** Fraction of the baseline to reach (0.9 for d90/r90). */
  fraction: finite,
  target: finite,
  /** Smallest grid value whose seed-mean reaches the target, null if none did. */
  value: finite.positive().nullable(),
  /** Log-scale interpolated crossing of the seed-mean curve, null if it never crosses. */
  interpolated: finite.positive().nullable(),
  /** Where the seed-mean curve crosses (absent in records before the seed-mean estimator). */
  crossing: crossingSchema.optional(),
  /** The estimator in words. */
  estimator: z.string().optional(),
  /** Bootstrap interval over seeds of `value` and `interpolated` (null: one seed). */
  ci: crossingBootstrapSchema.nullable().optional(),
  /**
   * The reported 95% interval of `value` and `interpolated`: where the t band of (seed-mean −
   * target) crosses zero (lib/threshold/band_crossing.ts); null ends lie beyond the grid; null:
   * fewer than 2 seeds. Absent in records before it: the report then shows `ci`.
   */
  band: z.object({
    value: z.object({ low: finite.nullable(), high: finite.nullable() }),
    interpolated: z.object({ low: finite.nullable(), high: finite.nullable() }),
    confidence: finite,
    method: z.literal("t-band"),
  }).nullable().optional(),
  /** The seed-mean curve, per size with its 95% t-interval over seeds. */
  curve: z.array(meanCurvePointSchema).optional(),
  /** fraction × the baseline seeds' 95% t-interval (null: a reference or single-seed baseline). */
  targetInterval: z.object({
    n: finite,
    low: finite.nullable(),
    high: finite.nullable(),
    confidence: finite,
  }).nullable().optional(),
  /** Significant falls of the seed-mean curve (rule in `fallRule`). */
  falls: z.array(fallSchema).optional(),
  fallRule: z.string().optional(),
  /** Per-seed values, where several seeds ran. */
  perSeed: z.array(z.looseObject({
    seed: finite,
    value: finite.nullable(),
    interpolated: finite.nullable(),
    /** `interior`, `first-point` (the grid's smallest value reaches it: an upper bound), `not-reached`. */
    crossing: crossingSchema.optional(),
  })),
  /** Standard deviation of per-seed values (null with one seed). */
  spread: finite.nullable(),
  /** Standard deviation of per-seed interpolated values (null with one seed). */
  interpolatedSpread: finite.nullable().optional(),
  /** False when some seed's curve drops below the target again after first reaching it. */
  monotone: z.boolean().optional(),
  /** `grid` (every grid point ran) or `adaptive` (bisection on the log grid). */
  search: z.enum(["grid", "adaptive"]).optional(),
  /** Training runs that actually ran (or came from the cache) for this result. */
  runsUsed: finite.optional(),
  /** The points the value was computed from. */
  points: z.array(z.looseObject({ size: finite, seed: finite, value: finite.nullable() })),
  /** Runs the adaptive search skipped compared to the full grid (0 for a full grid). */
  runsSaved: finite,
  /** Parameter count of the model, for the size-scaling plot. */
  modelParams: finite.positive(),
  pretrainSteps: finite.nonnegative().optional(),
  /** Grid points that failed: the value uses the points that exist (it may be biased up). */
  missing: z.array(missingRecordSchema).optional(),
});

/** d90 or r90 for one (model, task, method) (`threshold.json`). */
export type ThresholdResult = z.infer<typeof thresholdResultSchema>;

/** Writes `threshold` as `<dir>/threshold.json`, atomically. */
export function writeThresholdResult(dir: string, threshold: ThresholdResult): void {
  writeJsonAtomic(path.join(dir, THRESHOLD_FILE), threshold);
}

/** Reads and validates `<dir>/threshold.json`. */
export function readThresholdResult(dir: string): ThresholdResult {
  return readJsonRecord(path.join(dir, THRESHOLD_FILE), thresholdResultSchema);
}
