/**
 * Runtime schemas of the result records in `lib/results/types.ts`, so that the report can
 * reject a malformed `points.json` or `thresholds.json` with the exact key that is wrong.
 * Unknown keys are kept (producers may add fields the report does not read).
 *
 * @module
 */
import { z } from "zod";
import type { PointResult, RunResult, ThresholdResult } from "../results/types.ts";

const finite = z.number().refine(Number.isFinite, "expected a finite number");
const metrics = z.record(z.string(), finite);
const method = z.enum(["full", "did", "said", "lora"]);

/** One evaluation during training. */
export const evalPointSchema = z.looseObject({
  step: finite,
  select: metrics,
  report: metrics,
});

/** A `RunResult` (`result.json` of one training run). */
export const runResultSchema = z.looseObject({
  model: z.string(),
  task: z.string(),
  method,
  size: finite.nullable(),
  lr: finite,
  seed: finite,
  pretrainSteps: finite.optional(),
  trainableParams: finite,
  status: z.enum(["ok", "diverged", "failed"]),
  reason: z.string().optional(),
  metric: z.string(),
  best: evalPointSchema.nullable(),
  evals: z.array(evalPointSchema),
  loss: z.array(z.tuple([z.number(), z.number()])),
  steps: finite,
  wallSeconds: finite,
  samplesPerSecond: finite,
  provider: z.string(),
  key: z.string().optional(),
});

/** A `PointResult` (one sweep point after the learning-rate search). */
export const pointResultSchema = z.looseObject({
  model: z.string(),
  task: z.string(),
  method,
  size: finite.positive().nullable(),
  seed: finite,
  metric: z.string(),
  value: finite.nullable(),
  bestLr: finite.nullable(),
  runs: z.array(runResultSchema),
});

/** A `ThresholdResult` (d90 or r90 of one model, task and method). */
export const thresholdResultSchema = z.looseObject({
  model: z.string(),
  task: z.string(),
  method: z.enum(["did", "said", "lora"]),
  metric: z.string(),
  baseline: finite,
  baselineSource: z.enum(["measured", "reference"]),
  fraction: finite,
  target: finite,
  value: finite.positive().nullable(),
  interpolated: finite.positive().nullable(),
  perSeed: z.array(z.looseObject({
    seed: finite,
    value: finite.nullable(),
    interpolated: finite.nullable(),
    crossing: z.enum(["interior", "first-point", "not-reached"]).optional(),
  })),
  spread: finite.nullable(),
  interpolatedSpread: finite.nullable().optional(),
  monotone: z.boolean().optional(),
  search: z.enum(["grid", "adaptive"]).optional(),
  runsUsed: finite.optional(),
  points: z.array(z.looseObject({ size: finite, seed: finite, value: finite.nullable() })),
  runsSaved: finite,
  modelParams: finite.positive(),
  pretrainSteps: finite.nonnegative().optional(),
});

// Compile-time check that the schemas produce the shared record types.
type Assignable<A, B extends A> = B;
export type _CheckRun = Assignable<RunResult, z.infer<typeof runResultSchema>>;
export type _CheckPoint = Assignable<PointResult, z.infer<typeof pointResultSchema>>;
export type _CheckThreshold = Assignable<ThresholdResult, z.infer<typeof thresholdResultSchema>>;

/** Formats a zod error as `file: path.to[3].key: message` lines. */
export function describeIssues(file: string, error: z.ZodError): string {
  const lines = error.issues.slice(0, 10).map((issue) => {
    let path = "";
    for (const part of issue.path) {
      path += typeof part === "number"
        ? `[${part}]`
        : path === ""
        ? String(part)
        : `.${String(part)}`;
    }
    return `${file}: ${path === "" ? "(top level)" : path}: ${issue.message}`;
  });
  if (error.issues.length > 10) lines.push(`… and ${error.issues.length - 10} more problems`);
  return lines.join("\n");
}
