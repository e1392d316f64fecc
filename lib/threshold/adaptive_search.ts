/**
 * The adaptive d90 / r90 search of `threshold-search`: a bisection on the log grid
 * (`adaptive.ts`) of the seed-mean curve — each size it visits is obtained for every seed at
 * once and scored by the mean over seeds — then the same aggregation as the full grid
 * (`aggregate.ts`), so when the mean curve rises it returns the grid's estimator. How a point is
 * obtained (run or taken from the store) is the caller's `obtain` callback.
 *
 * @module
 */
import type { InstanceRef } from "../refs/mod.ts";
import { type PointResult, readPointResult, type ThresholdResult } from "../results/mod.ts";
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
  const used: PointResult[] = [];
  const values: { size: number; seed: number; value: number | null }[] = [];
  const bySize = new Map<number, typeof p.points>();
  for (const g of p.points) bySize.set(g.size, [...(bySize.get(g.size) ?? []), g]);
  const out = await bisectGrid([...bySize.keys()], target, async (size) => {
    const at = bySize.get(size)!;
    const pts = await Promise.all(at.map(async (g) => {
      const pt = readPointResult(await obtain(g.point));
      checkPoint(p, pt, size, g.seed, base);
      return pt;
    }));
    used.push(...pts);
    at.forEach((g, i) => values.push({ size, seed: g.seed, value: pts[i].value }));
    const usable = pts.map((x) => x.value).filter((v): v is number => v !== null);
    const m = usable.length === 0 ? null : usable.reduce((a, b) => a + b, 0) / usable.length;
    log(
      `size ${size}: seed-mean ${pts[0]?.metric ?? "metric"}=${m} over ${usable.length} ` +
        `seed(s) (target ${target})`,
    );
    return m;
  });
  const evaluated = new Set(out.points.map((x) => x.size));
  let runsSaved = 0;
  for (const g of p.points) if (!evaluated.has(g.size)) runsSaved += runsOfRef(g.point);
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
    baselineValues: base.values,
    ...(p.bootstrap !== undefined ? { bootstrap: p.bootstrap } : {}),
    modelParams: modelParamsOf(base, used),
    ...(base.pretrainSteps !== undefined ? { pretrainSteps: base.pretrainSteps } : {}),
  });
  result.search = "adaptive";
  result.runsUsed = used.reduce((a, x) => a + x.runs.length, 0);
  return result;
}
