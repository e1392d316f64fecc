/**
 * `RunResult`: one training run, written by the train stages as `result.json` and read by
 * `lr-search`. Unknown keys are kept (a producer may add fields no consumer reads yet).
 *
 * @module
 */
import * as path from "node:path";
import { z } from "zod";
import { readJsonRecord, writeJsonAtomic } from "./json_file.ts";
import { METHOD_NAMES } from "./methods.ts";

/** The file a train stage writes. */
export const RUN_RESULT_FILE = "result.json";

/** A finite number (JSON has no NaN or infinity; a null in their place is refused). */
export const finite = z.number().refine(Number.isFinite, "expected a finite number");
/** Metric values on one evaluation split, e.g. `{ accuracy: 0.91, f1: 0.88 }`. */
export const metricsSchema = z.record(z.string(), finite);
/** How a model is fine-tuned. */
export const methodSchema = z.enum(METHOD_NAMES as ["full", "did", "said", "lora"]);

/** One evaluation during training. */
export const evalPointSchema = z.looseObject({
  step: finite,
  /** Metrics on the selection split (held-out slice of train by default). */
  select: metricsSchema,
  /** Metrics on the reported split (the task's validation split by default). */
  report: metricsSchema,
});

/** One training run: one (model, task, method, size, lr, seed). */
export const runResultSchema = z.looseObject({
  model: z.string(),
  task: z.string(),
  method: methodSchema,
  /** d for did/said, r for lora, null for full fine-tuning. */
  size: finite.nullable(),
  lr: finite,
  seed: finite,
  /** Pretraining steps of the model checkpoint, where the model was pretrained by the pipeline. */
  pretrainSteps: finite.optional(),
  trainableParams: finite,
  /** Total parameters of the model, where the graphs artifact says. */
  modelParams: finite.optional(),
  /** `ok`, or `diverged` (NaN/inf loss), or `failed` with a reason. */
  status: z.enum(["ok", "diverged", "failed"]),
  reason: z.string().optional(),
  /** The primary metric's name (e.g. `accuracy`), the one the 90% target applies to. */
  metric: z.string(),
  /** The evaluation with the best selection-split primary metric (null when none ran). */
  best: evalPointSchema.nullable(),
  /** Every evaluation, in step order. */
  evals: z.array(evalPointSchema),
  /** Training loss, sampled: `[step, loss]` pairs. */
  loss: z.array(z.tuple([z.number(), z.number()])),
  steps: finite,
  wallSeconds: finite,
  samplesPerSecond: finite,
  /** Execution provider that ran the graph (`cpu`, `cuda`, `webgpu`). */
  provider: z.string(),
  /** The instance key of the run, for provenance. */
  key: z.string().optional(),
  /** Steps at which the run resumed from a checkpoint after a crash or kill. */
  resumedFrom: z.array(z.number()).optional(),
  /** Hyperparameters the run used (batch, steps, warm-up, decay, weight decay, ...). */
  config: z.record(z.string(), z.unknown()).optional(),
});

/** Metric values on one evaluation split. */
export type Metrics = z.infer<typeof metricsSchema>;
/** One evaluation during training. */
export type EvalPoint = z.infer<typeof evalPointSchema>;
/** One training run (`result.json`). */
export type RunResult = z.infer<typeof runResultSchema>;

/** Writes `run` as `<dir>/result.json`, atomically. */
export function writeRunResult(dir: string, run: RunResult): void {
  writeJsonAtomic(path.join(dir, RUN_RESULT_FILE), run);
}

/** Reads and validates `<dir>/result.json`. */
export function readRunResult(dir: string): RunResult {
  return readJsonRecord(path.join(dir, RUN_RESULT_FILE), runResultSchema);
}
