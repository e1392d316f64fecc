/**
 * `threshold-search`: the adaptive alternative to `threshold`. It takes the same grid but runs
 * only the points needed to locate d90/r90: per seed, a bisection on the log grid, each point
 * obtained through the content-addressed store under exactly the key a planned `lr-search`
 * instance would have (cached points are reused; new ones are committed for later runs). When
 * the score rises monotonically with the size, its answer equals the full grid's. It reports
 * how many training runs it saved.
 *
 * @module
 */
import * as path from "node:path";
import { defineStage, type InstanceRef } from "../lib/pipeline/stage.ts";
import type { PointResult } from "../lib/results/types.ts";
import { bisectGrid } from "../lib/threshold/adaptive.ts";
import { computeThreshold } from "../lib/threshold/aggregate.ts";
import {
  baselineInputs,
  checkPoint,
  modelParamsOf,
  readPoint,
  resolveBaseline,
  type SweepParams,
  sweepParamsSchema,
  THRESHOLD_FILE,
} from "../lib/threshold/sweep_params.ts";
import { writeJsonAtomic } from "../lib/train/run_stage.ts";

/** Training runs behind one point reference (its lr grid size; 1 for a bare train ref). */
export function runsOfRef(ref: InstanceRef): number {
  const lrs = ref.params.lrs;
  return Array.isArray(lrs) ? lrs.length : 1;
}

/** Runs the adaptive search with `obtain` producing each needed point's artifact dir. */
export async function adaptiveThreshold(
  p: SweepParams,
  inputs: Record<string, string>,
  obtain: (ref: InstanceRef) => Promise<string>,
  log: (m: string) => void,
) {
  const base = resolveBaseline(p, inputs);
  const target = p.fraction * base.value;
  const seeds = [...new Set(p.points.map((g) => g.seed))].sort((a, b) => a - b);
  const used: PointResult[] = [];
  const values: { size: number; seed: number; value: number | null }[] = [];
  let runsSaved = 0;
  for (const seed of seeds) {
    const grid = p.points.filter((g) => g.seed === seed);
    const bySize = new Map(grid.map((g) => [g.size, g]));
    const out = await bisectGrid(grid.map((g) => g.size), target, async (size) => {
      const g = bySize.get(size)!;
      const pt = readPoint(await obtain(g.point));
      checkPoint(p, pt, size, seed, base);
      used.push(pt);
      log(`seed ${seed} size ${size}: ${pt.metric}=${pt.value} (target ${target})`);
      return pt.value;
    });
    const evaluated = new Set(out.points.map((x) => x.size));
    for (const g of grid) if (!evaluated.has(g.size)) runsSaved += runsOfRef(g.point);
    for (const x of out.points) values.push({ size: x.size, seed, value: x.value });
  }
  const result = computeThreshold({
    model: p.model,
    task: p.task,
    method: p.method,
    metric: base.metric ?? used[0]?.metric ?? "accuracy",
    baseline: base.value,
    baselineSource: base.source,
    fraction: p.fraction,
    points: values,
    runsSaved,
    modelParams: modelParamsOf(base, used),
    ...(base.pretrainSteps !== undefined ? { pretrainSteps: base.pretrainSteps } : {}),
  });
  result.search = "adaptive";
  result.runsUsed = used.reduce((a, x) => a + x.runs.length, 0);
  return result;
}

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
  outputs: () => [THRESHOLD_FILE],
  label: (p) =>
    `model=${p.model},task=${p.task},method=${p.method},fraction=${p.fraction},adaptive`,
  resources: () => ({ cpus: 1 }),
  onDemand: (p) => Object.fromEntries(p.points.map((g, i) => [pointInput(i), g.point])),
  async run(ctx) {
    const index = new Map(ctx.params.points.map((g, i) => [g.point, i]));
    const obtain = (ref: InstanceRef) => ctx.obtain(pointInput(index.get(ref)!));
    const result = await adaptiveThreshold(ctx.params, ctx.inputs, obtain, ctx.log);
    ctx.log(
      `adaptive ${ctx.params.method}: value ${result.value}, interpolated ${result.interpolated}; ` +
        `${result.runsUsed} runs used, ${result.runsSaved} saved`,
    );
    writeJsonAtomic(path.join(ctx.outDir, THRESHOLD_FILE), result);
  },
});
