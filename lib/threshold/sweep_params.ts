/**
 * Parameters shared by the `threshold` (full grid) and `threshold-search` (adaptive) stages, as
 * `lib/threshold` consumes them, and the helpers both use to read points and the baseline.
 *
 * @module
 */
import type { InstanceRef } from "../refs/mod.ts";
import { type PointResult, readPointResult, type SweepMethod } from "../results/mod.ts";

/**
 * Parsed parameters of `threshold` and `threshold-search` (their schema, which parses instance
 * references, is declared with the `threshold` stage in `stages/threshold.ts`).
 */
export interface SweepParams {
  model: string;
  task: string;
  method: SweepMethod;
  /** Fraction of the baseline to reach. */
  fraction: number;
  /**
   * Where the 90% target comes from: `lr-search` instances of full fine-tuning, one per seed
   * (their mean is the baseline), or a reference score given in the config.
   */
  baseline: { points: InstanceRef[] } | { reference: number; modelParams?: number };
  /** The sweep's grid: every (size, seed) point, an `lr-search` instance. */
  points: { size: number; seed: number; point: InstanceRef }[];
  /** The bootstrap over seeds of d90/r90; absent: no interval. */
  bootstrap?: { resamples: number; seed: number };
  /**
   * `threshold-search` beside a grid (`search: both`): the grid's `threshold` instance, an input
   * so the search starts once every grid point exists and reads them as cache hits.
   */
  after?: InstanceRef;
}

/** Baseline inputs, named `baseline_<i>` (and `after`, the grid a search runs beside). */
export function baselineInputs(p: SweepParams): Record<string, InstanceRef> {
  return {
    ...("points" in p.baseline
      ? Object.fromEntries(p.baseline.points.map((r, i) => [`baseline_${i}`, r]))
      : {}),
    ...(p.after ? { after: p.after } : {}),
  };
}

/** The resolved baseline: value, source, metric (measured only) and model size. */
export interface Baseline {
  value: number;
  /** Per-seed values of a measured baseline (empty for a reference). */
  values: number[];
  source: "measured" | "reference";
  metric?: string;
  modelParams: number;
  pretrainSteps?: number;
}

/** Reads the baseline from the inputs (measured: mean over seeds) or the config (reference). */
export function resolveBaseline(p: SweepParams, inputs: Record<string, string>): Baseline {
  if ("reference" in p.baseline) {
    return {
      value: p.baseline.reference,
      values: [],
      source: "reference",
      modelParams: p.baseline.modelParams ?? 0,
    };
  }
  const pts = p.baseline.points.map((_, i) => readPointResult(inputs[`baseline_${i}`]));
  for (const pt of pts) {
    if (pt.method !== "full") {
      throw new Error(
        `baseline point seed ${pt.seed} is a ${pt.method} run, expected full fine-tuning`,
      );
    }
    if (pt.value === null) {
      throw new Error(
        `the full fine-tuning baseline (seed ${pt.seed}) has no usable run: every lr diverged or ` +
          `failed (${
            pt.runs.map((r) => `lr ${r.lr}: ${r.status}${r.reason ? ` (${r.reason})` : ""}`).join(
              "; ",
            )
          })`,
      );
    }
  }
  const metric = pts[0].metric;
  const mismatch = pts.find((x) => x.metric !== metric);
  if (mismatch) {
    throw new Error(`baseline points disagree on the metric: ${metric} vs ${mismatch.metric}`);
  }
  const value = pts.reduce((a, x) => a + x.value!, 0) / pts.length;
  const run = pts.flatMap((x) => x.runs).find((r) =>
    r.modelParams !== undefined || r.trainableParams
  );
  return {
    value,
    values: pts.map((x) => x.value!),
    source: "measured",
    metric,
    modelParams: run?.modelParams ?? run?.trainableParams ?? 0,
    ...(run?.pretrainSteps !== undefined ? { pretrainSteps: run.pretrainSteps } : {}),
  };
}

/** Checks a sweep point against the sweep's identity and the baseline metric. */
export function checkPoint(
  p: SweepParams,
  pt: PointResult,
  size: number,
  seed: number,
  base: Baseline,
): void {
  const where = `point size=${size} seed=${seed}`;
  if (pt.method !== p.method) {
    throw new Error(`${where}: a ${pt.method} run in a ${p.method} sweep`);
  }
  if (pt.size !== size) throw new Error(`${where}: its runs have size ${pt.size}`);
  if (pt.seed !== seed) throw new Error(`${where}: its runs have seed ${pt.seed}`);
  if (base.metric !== undefined && pt.metric !== base.metric) {
    throw new Error(`${where}: metric ${pt.metric} differs from the baseline's ${base.metric}`);
  }
}

/** Model parameter count from a sweep's points when the baseline did not give it. */
export function modelParamsOf(base: Baseline, points: PointResult[]): number {
  if (base.modelParams > 0) return base.modelParams;
  const r = points.flatMap((x) => x.runs).find((x) => x.modelParams !== undefined);
  return r?.modelParams ?? 0;
}
