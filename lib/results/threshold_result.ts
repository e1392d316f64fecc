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
  /** Smallest grid value reaching the target (mean over seeds where several), null if none did. */
  value: finite.positive().nullable(),
  /** Log-scale interpolated crossing point, null if the curve never crosses. */
  interpolated: finite.positive().nullable(),
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
