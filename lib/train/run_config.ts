/**
 * Parameters of one training run (a stage instance of `train-full`, `train-subspace` or
 * `train-lora`) as `lib/train` consumes them: the run's identity (model, task, method, size, lr,
 * seed), references to the upstream artifacts (exported graphs, tokenized data) and the training
 * hyperparameters. The stage parameter schemas, which parse instance references, are declared
 * with the stages in `stages/train.ts`; the reference-free hyperparameter schema stays here.
 *
 * @module
 */
import { z } from "zod";
import type { InstanceRef } from "../refs/mod.ts";

/**
 * Hyperparameters shared by every method. The optimizer's constants (AdamW betas, eps, weight
 * decay, gradient clipping) are compiled into the training graph by the export and recorded
 * from its `graph.json`; the lr, warm-up and schedule length are fed at run time.
 */
export const hyperSchema = z.strictObject({
  /** Peak learning rate (after warm-up). */
  lr: z.number().positive(),
  /** Seed of the data order (and, through the graphs, of the projection / LoRA init). */
  seed: z.number().int().min(0),
  /** Optimizer steps; give `steps` or `epochs`. */
  steps: z.number().int().positive().optional(),
  /** Passes over the training split; converted to ceil(epochs · n / batchSize) steps. */
  epochs: z.number().positive().optional(),
  /** Examples per step; defaults to the exported graph's batch size (and must match it). */
  batchSize: z.number().int().positive().optional(),
  /** Linear warm-up length as a fraction of the steps (ignored when warmupSteps is given). */
  warmupRatio: z.number().min(0).max(1).default(0.06),
  warmupSteps: z.number().int().min(0).optional(),
  /** `linear`: decay to 0 at the last step; `constant`: hold the peak lr after warm-up. */
  decay: z.enum(["linear", "constant"]).default("linear"),
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
   * Keep the trainable tensors of the best step as `weights.bin` in the run's artifact
   * (lib/train/keep_weights.ts). Set only by the planner for the runs `delta-spectrum` reads; absent
   * otherwise, so no other run's key changes.
   */
  keepWeights: z.literal(true).optional(),
  /**
   * Test hook: from this step on the loss is treated as NaN, so divergence handling can be
   * exercised end to end. Never set it in a real experiment.
   */
  injectNanAtStep: z.number().int().min(0).optional(),
});

/** Hyperparameters shared by every method, as parsed. */
export type Hyper = z.infer<typeof hyperSchema>;

/**
 * Parsed parameters of any train kind: the hyperparameters, the run's identity and its upstream
 * references. The stage parameter schemas that parse them (`train-full`, `train-subspace`,
 * `train-lora`) are declared with their stages in `stages/train.ts`.
 */
export type TrainParams =
  & Hyper
  & {
    /** Model name, for labels and results. */
    model: string;
    /** Task name, for labels and results. */
    task: string;
    /** The exported-graphs instance (training graph, eval graph, initial state, graph.json). */
    graphs: InstanceRef;
    /** The tokenized-data instance. */
    data: InstanceRef;
    /** Pretraining steps of the model, when the pipeline pretrained it (for the report). */
    pretrainSteps?: number;
  }
  & ({ method: "full" } | { method: "did" | "said"; d: number } | { method: "lora" });

/** The LoRA rank of a `train-lora` run: its exported graphs' `size` (the one place it is keyed). */
export function loraRank(p: { graphs: { params: Record<string, unknown> } }): number {
  return p.graphs.params.size as number;
}

/** The size of a run: d, r (the graphs' size), or null for full fine-tuning. */
export function sizeOf(p: TrainParams): number | null {
  if ("d" in p) return p.d;
  if (p.method === "lora") return loraRank(p);
  return null;
}

/** Resolved schedule: total steps and warm-up steps. */
export function resolveSchedule(
  p: TrainParams,
  trainSize: number,
  batchSize: number,
): { steps: number; warmupSteps: number } {
  const steps = p.steps ?? Math.ceil(((p.epochs ?? 1) * trainSize) / batchSize);
  const warmupSteps = p.warmupSteps ?? Math.round(p.warmupRatio * steps);
  if (warmupSteps > steps) {
    throw new RangeError(`warmupSteps ${warmupSteps} exceeds the run's ${steps} steps`);
  }
  return { steps, warmupSteps };
}
