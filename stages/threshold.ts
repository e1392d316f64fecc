/**
 * `threshold`: d90 (DID/SAID) or r90 (LoRA) from a full grid of lr-searched points: the target
 * is `fraction` × the full fine-tuning baseline (measured by the pipeline, or a reference value
 * from the config, marked as such); per seed the smallest grid value reaching it plus a
 * log-scale interpolation; mean and spread over seeds. A failed point is tolerated: the value
 * uses the points that exist and the record lists the others as `missing`.
 *
 * @module
 */
import { defineStage } from "../lib/pipeline/stage.ts";
import {
  missingFrom,
  readPointResult,
  THRESHOLD_FILE,
  writeThresholdResult,
} from "../lib/results/mod.ts";
import {
  baselineInputs,
  checkPoint,
  computeThreshold,
  modelParamsOf,
  resolveBaseline,
  sweepParamsSchema,
} from "../lib/threshold/mod.ts";

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
