/**
 * `threshold`: d90 (DID/SAID) or r90 (LoRA) from a full grid of lr-searched points: the target
 * is `fraction` × the full fine-tuning baseline (measured by the pipeline, or a reference value
 * from the config, marked as such); per seed the smallest grid value reaching it plus a
 * log-scale interpolation; mean and spread over seeds. A failed point is tolerated: the value
 * uses the points that exist and the record lists the others as `missing`.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../lib/pipeline/stage.ts";
import { instanceRefSchema } from "../lib/refs/mod.ts";
import {
  missingFrom,
  readPointResult,
  SWEEP_METHODS,
  THRESHOLD_FILE,
  writeThresholdResult,
} from "../lib/results/mod.ts";
import {
  baselineInputs,
  checkPoint,
  computeThreshold,
  modelParamsOf,
  resolveBaseline,
  type SweepParams,
} from "../lib/threshold/mod.ts";

/** Where the 90% target comes from. */
const baselineSchema = z.union([
  z.strictObject({
    /** `lr-search` instances of full fine-tuning, one per seed; their mean is the baseline. */
    points: z.array(instanceRefSchema).min(1),
  }),
  z.strictObject({
    /** A reference full fine-tuning score given in the config (marked `reference` in results). */
    reference: z.number().positive(),
    /** Total parameters of the model (measured baselines read it from the runs). */
    modelParams: z.number().int().min(0).optional(),
  }),
]);

/** One grid point of the sweep: an `lr-search` instance for (size, seed). */
const gridPointSchema = z.strictObject({
  size: z.number().positive(),
  seed: z.number().int().min(0),
  point: instanceRefSchema,
});

/** Parameters of `threshold` and `threshold-search` (which imports this schema from here). */
export const sweepParamsSchema: z.ZodType<SweepParams> = z.strictObject({
  model: z.string().min(1),
  task: z.string().min(1),
  method: z.enum(SWEEP_METHODS as ["did", "said", "lora"]),
  /** Fraction of the baseline to reach. */
  fraction: z.number().gt(0).max(1).default(0.9),
  baseline: baselineSchema,
  /** The sweep's grid: every (size, seed) point (the adaptive search runs only some). */
  points: z.array(gridPointSchema).min(1),
  /**
   * The bootstrap over seeds of d90/r90 (experiment.report.bootstrap_resamples and
   * bootstrap_seed); absent: no interval.
   */
  bootstrap: z.strictObject({
    resamples: z.number().int().min(100).max(1_000_000),
    seed: z.number().int(),
  }).optional(),
  /** `threshold-search` only: the grid's `threshold` it runs beside (`search: both`). */
  after: instanceRefSchema.optional(),
}).superRefine((p, ctx) => {
  const seen = new Set<string>();
  p.points.forEach((g, i) => {
    const k = `${g.size}/${g.seed}`;
    if (seen.has(k)) {
      ctx.addIssue({
        code: "custom",
        path: ["points", i],
        message: `grid point size=${g.size} seed=${g.seed} appears twice`,
      });
    }
    seen.add(k);
  });
});

export const thresholdStage = defineStage({
  kind: "threshold",
  description:
    "d90 / r90 from a full grid of points: smallest size reaching 90% of full fine-tuning",
  module: import.meta.url,
  params: sweepParamsSchema,
  inputs: (p) => ({
    ...baselineInputs(p),
    ...Object.fromEntries(p.points.map((g, i) => [`point_${i}`, g.point])),
  }),
  tolerates: (p) => p.points.map((_, i) => `point_${i}`),
  outputs: () => [THRESHOLD_FILE],
  label: (p) => `model=${p.model},task=${p.task},method=${p.method},fraction=${p.fraction}`,
  run(ctx) {
    const p = ctx.params;
    const base = resolveBaseline(p, ctx.inputs);
    const missing = missingFrom(ctx.failedInputs, "point");
    const present = p.points.flatMap((g, i) =>
      `point_${i}` in ctx.inputs ? [{ g, pt: readPointResult(ctx.inputs[`point_${i}`]) }] : []
    );
    if (present.length === 0) {
      throw new Error(`every grid point failed: ${missing.map((m) => m.id).join(", ")}`);
    }
    for (const { g, pt } of present) checkPoint(p, pt, g.size, g.seed, base);
    for (const m of missing) ctx.log(`point missing: ${m.id}: ${m.reason} (log ${m.log})`);
    const pts = present.map((x) => x.pt);
    const metric = base.metric ?? pts[0].metric;
    const result = computeThreshold({
      model: p.model,
      task: p.task,
      method: p.method,
      metric,
      baseline: base.value,
      baselineSource: base.source,
      fraction: p.fraction,
      points: present.map(({ g, pt }) => ({ size: g.size, seed: g.seed, value: pt.value })),
      runsSaved: 0,
      baselineValues: base.values,
      ...(p.bootstrap !== undefined ? { bootstrap: p.bootstrap } : {}),
      modelParams: modelParamsOf(base, pts),
      ...(base.pretrainSteps !== undefined ? { pretrainSteps: base.pretrainSteps } : {}),
    });
    result.search = "grid";
    result.runsUsed = pts.reduce((a, x) => a + x.runs.length, 0);
    if (missing.length > 0) result.missing = missing;
    ctx.log(
      `${p.method}: target ${result.target} (${p.fraction} × ${base.source} ${base.value}); ` +
        `value ${result.value}, interpolated ${result.interpolated}`,
    );
    writeThresholdResult(ctx.outDir, result);
    return Promise.resolve();
  },
});
