/**
 * Parameters shared by the `threshold` (full grid) and `threshold-search` (adaptive) stages,
 * and the helpers both use to read points and the baseline.
 *
 * @module
 */
import { z } from "zod";
import { type InstanceRef, instanceRefSchema } from "../refs/mod.ts";
import { type PointResult, readPointResult, SWEEP_METHODS } from "../results/mod.ts";

/** Where the 90% target comes from. */
export const baselineSchema = z.union([
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
export const gridPointSchema = z.strictObject({
  size: z.number().positive(),
  seed: z.number().int().min(0),
  point: instanceRefSchema,
});

/** Parameters of `threshold` and `threshold-search`. */
export const sweepParamsSchema = z.strictObject({
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

/** Parsed sweep parameters. */
export type SweepParams = z.infer<typeof sweepParamsSchema>;

/** Baseline inputs, named `baseline_<i>`. */
export function baselineInputs(p: SweepParams): Record<string, InstanceRef> {
  return "points" in p.baseline
    ? Object.fromEntries(p.baseline.points.map((r, i) => [`baseline_${i}`, r]))
    : {};
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
