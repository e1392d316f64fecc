/**
 * The adaptive d90 / r90 search of `threshold-search`: per seed, a bisection on the log grid
 * (`adaptive.ts`) that obtains only the points it needs, then the same aggregation as the full
 * grid (`aggregate.ts`). How a point is obtained (run or taken from the store) is the caller's
 * `obtain` callback.
 *
 * @module
 */
import type { InstanceRef } from "../plan/instance_ref.ts";
import { type PointResult, readPointResult } from "../results/point_result.ts";
import type { ThresholdResult } from "../results/threshold_result.ts";
import { bisectGrid } from "./adaptive.ts";
import { computeThreshold } from "./aggregate.ts";
import { checkPoint, modelParamsOf, resolveBaseline, type SweepParams } from "./sweep_params.ts";

/** Training runs behind one point reference (its lr grid size; 1 for a bare train ref). */
export function runsOfRef(ref: InstanceRef): number {
  const lrs = ref.params.lrs;
  return Array.isArray(lrs) ? lrs.length : 1;
}

/**
 * Runs the adaptive search. `inputs` holds the baseline's artifact dirs (`baseline_<i>`);
 * `obtain` produces the artifact dir of each grid point the bisection asks for.
 */
export async function adaptiveThreshold(
  p: SweepParams,
  inputs: Record<string, string>,
  obtain: (ref: InstanceRef) => Promise<string>,
  log: (m: string) => void,
): Promise<ThresholdResult> {
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
      const pt = readPointResult(await obtain(g.point));
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
