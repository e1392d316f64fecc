/**
 * Parameters of one training run (a stage instance of `train-full`, `train-subspace` or
 * `train-lora`): the run's identity (model, task, method, size, lr, seed), references to the
 * upstream artifacts (exported graphs, tokenized data) and the training hyperparameters.
 *
 * @module
 */
import { z } from "zod";
import type { InstanceRef, Json } from "../pipeline/stage.ts";

/** A reference to an upstream stage instance, as it appears inside parameters. */
export const instanceRefSchema: z.ZodType<InstanceRef> = z.strictObject({
  kind: z.string().min(1),
  params: z.record(z.string(), z.any()) as z.ZodType<Record<string, Json>>,
});

/** Hyperparameters shared by every method. */
export const hyperSchema = z.strictObject({
  /** Peak learning rate (after warm-up). */
  lr: z.number().positive(),
  /** Seed of the data order (and, through the graphs, of the projection / LoRA init). */
  seed: z.number().int().min(0),
  /** Optimizer steps; give `steps` or `epochs`. */
  steps: z.number().int().positive().optional(),
  /** Passes over the training split; converted to ceil(epochs · n / batchSize) steps. */
  epochs: z.number().positive().optional(),
  batchSize: z.number().int().positive(),
  /** Linear warm-up length as a fraction of the steps (ignored when warmupSteps is given). */
  warmupRatio: z.number().min(0).max(1).default(0.06),
  warmupSteps: z.number().int().min(0).optional(),
  /** `linear`: decay to 0 at the last step; `constant`: hold the peak lr after warm-up. */
  decay: z.enum(["linear", "constant"]).default("linear"),
  weightDecay: z.number().min(0).default(0),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  /** Global gradient-norm clip (0: off). */
  clipNorm: z.number().min(0).default(1),
  /** Evaluate on the select and report splits every this many steps (and after the last). */
  evalEvery: z.number().int().positive(),
  /** Checkpoint every this many steps (0: never; default: every evaluation). */
  checkpointEvery: z.number().int().min(0).optional(),
  /** Record the mean training loss over windows of this many steps (default: ~200 points). */
  lossEvery: z.number().int().positive().optional(),
  /** ONNX Runtime intra-op threads. */
  threads: z.number().int().positive().default(1),
  /** Primary metric (default: the task's, from the data artifact). */
  metric: z.string().min(1).optional(),
  /**
   * Test hook: from this step on the loss is treated as NaN, so divergence handling can be
   * exercised end to end. Never set it in a real experiment.
   */
  injectNanAtStep: z.number().int().min(0).optional(),
});

/** Fields common to all train kinds. */
const common = {
  /** Model name, for labels and results. */
  model: z.string().min(1),
  /** Task name, for labels and results. */
  task: z.string().min(1),
  /** The exported-graphs instance (training graph, eval graph, initial state, graph.json). */
  graphs: instanceRefSchema,
  /** The tokenized-data instance. */
  data: instanceRefSchema,
  /** Pretraining steps of the model, when the pipeline pretrained it (for the report). */
  pretrainSteps: z.number().int().min(0).optional(),
};

function stepsGiven(p: { steps?: number; epochs?: number }): boolean {
  return (p.steps === undefined) !== (p.epochs === undefined);
}
const stepsMessage = { message: "give exactly one of steps or epochs" };

/** `train-full` parameters. */
export const fullParamsSchema = hyperSchema.extend({
  ...common,
  method: z.literal("full").default("full"),
}).refine(stepsGiven, stepsMessage);

/** `train-subspace` parameters: DID or SAID with subspace dimension d. */
export const subspaceParamsSchema = hyperSchema.extend({
  ...common,
  method: z.enum(["did", "said"]),
  d: z.number().int().positive(),
}).refine(stepsGiven, stepsMessage);

/** `train-lora` parameters: LoRA with rank r. */
export const loraParamsSchema = hyperSchema.extend({
  ...common,
  method: z.literal("lora").default("lora"),
  r: z.number().int().positive(),
}).refine(stepsGiven, stepsMessage);

/** Parsed parameters of any train kind. */
export type TrainParams =
  | z.infer<typeof fullParamsSchema>
  | z.infer<typeof subspaceParamsSchema>
  | z.infer<typeof loraParamsSchema>;

/** The size of a run: d, r, or null for full fine-tuning. */
export function sizeOf(p: TrainParams): number | null {
  if ("d" in p) return p.d;
  if ("r" in p) return p.r;
  return null;
}

/** Resolved schedule: total steps and warm-up steps. */
export function resolveSchedule(
  p: TrainParams,
  trainSize: number,
): { steps: number; warmupSteps: number } {
  const steps = p.steps ?? Math.ceil(((p.epochs ?? 1) * trainSize) / p.batchSize);
  const warmupSteps = p.warmupSteps ?? Math.round(p.warmupRatio * steps);
  if (warmupSteps > steps) {
    throw new RangeError(`warmupSteps ${warmupSteps} exceeds the run's ${steps} steps`);
  }
  return { steps, warmupSteps };
}

/**
 * Learning rate at optimizer step `step` (0-based): linear warm-up from lr/warmup to lr over
 * `warmupSteps`, then linear decay to 0 at `steps` (or constant): Hugging Face's
 * `get_linear_schedule_with_warmup` evaluated at step + 1, so the first step does not run at lr 0.
 */
export function lrAt(
  step: number,
  lr: number,
  steps: number,
  warmupSteps: number,
  decay: "linear" | "constant",
): number {
  const t = step + 1;
  if (warmupSteps > 0 && t <= warmupSteps) return (lr * t) / warmupSteps;
  if (decay === "constant") return lr;
  return lr * Math.max(0, (steps - t) / Math.max(1, steps - warmupSteps));
}
