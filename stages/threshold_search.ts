/**
 * `threshold-search`: the adaptive alternative to `threshold`. It takes the same grid but runs
 * only the points needed to locate d90/r90: per seed, a bisection on the log grid. Every grid
 * point is an on-demand input — planned and keyed with the DAG exactly as the full grid's
 * `lr-search` instance, so cached points are reused and new ones are committed for later runs —
 * obtained from the engine only when the bisection visits it. When the score rises monotonically
 * with the size, its answer equals the full grid's. It reports how many training runs it saved.
 *
 * @module
 */
import { defineStage, type InstanceRef } from "../lib/pipeline/stage.ts";
import { THRESHOLD_FILE, writeThresholdResult } from "../lib/results/mod.ts";
import { adaptiveThreshold, baselineInputs } from "../lib/threshold/mod.ts";
import { sweepParamsSchema } from "./threshold.ts";

/** The on-demand input name of grid point `i`. */
function pointInput(i: number): string {
  return `point_${i}`;
}

export const thresholdSearchStage = defineStage({
  kind: "threshold-search",
  description: "adaptive d90 / r90: bisection on the log grid, running only the points it needs",
  module: import.meta.url,
  params: sweepParamsSchema,
  inputs: (p) => baselineInputs(p),
  onDemand: (p) => Object.fromEntries(p.points.map((g, i) => [pointInput(i), g.point])),
  outputs: () => [THRESHOLD_FILE],
  label: (p) =>
    `model=${p.model},task=${p.task},method=${p.method},fraction=${p.fraction},adaptive`,
  resources: () => ({ cpus: 1 }),
  async run(ctx) {
    const index = new Map<InstanceRef, number>(ctx.params.points.map((g, i) => [g.point, i]));
    const obtain = (ref: InstanceRef) => ctx.obtain(pointInput(index.get(ref)!));
    const result = await adaptiveThreshold(ctx.params, ctx.inputs, obtain, ctx.log);
    ctx.log(
      `adaptive ${ctx.params.method}: value ${result.value}, interpolated ${result.interpolated}; ` +
        `${result.runsUsed} runs used, ${result.runsSaved} saved`,
    );
    writeThresholdResult(ctx.outDir, result);
  },
});
