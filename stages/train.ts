/**
 * The training stages, one instance per run (model, task, method, size, lr, seed):
 * `train-full` (the full fine-tuning baseline), `train-subspace` (DID/SAID with dimension d) and
 * `train-lora` (rank r). Each reads an exported-graphs artifact (`graphs`) and a tokenized-data
 * artifact (`data`), trains on ONNX Runtime with evaluation every `evalEvery` steps, checkpoints
 * to its scratch dir (a killed run resumes there), and writes `result.json` (a `RunResult`;
 * NaN/inf loss makes it `diverged`, not a failure); with `keepWeights: true` also `weights.bin`,
 * the trainable tensors of the best step (lib/train/keep_weights.ts).
 *
 * @module
 */
import { z } from "zod";
import { defineStage, type InstanceRef } from "../lib/pipeline/stage.ts";
import {
  estimateTrainRun,
  hyperSchema,
  KEPT_WEIGHTS_FILE,
  onnxBackend,
  runTrainStage,
  sizeOf,
  type TrainParams,
} from "../lib/train/mod.ts";
import { METHODS, RUN_RESULT_FILE, sizeLabel } from "../lib/results/mod.ts";
import { instanceRefSchema } from "../lib/refs/mod.ts";

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

/**
 * `train-lora` parameters: LoRA with rank r. The rank is not a parameter of its own: it is the
 * `size` of the exported graphs the run trains, so it enters the instance key once.
 */
export const loraParamsSchema = hyperSchema.extend({
  ...common,
  method: z.literal("lora").default("lora"),
}).refine(stepsGiven, stepsMessage).refine(
  (p) => Number.isInteger(p.graphs.params.size) && (p.graphs.params.size as number) > 0,
  { message: "graphs.params.size (the LoRA rank r) must be a positive integer", path: ["graphs"] },
);

const inputs = (p: { graphs: InstanceRef; data: InstanceRef }) => ({
  graphs: p.graphs,
  data: p.data,
});
const outputs = (p: { keepWeights?: true }) =>
  p.keepWeights ? [RUN_RESULT_FILE, KEPT_WEIGHTS_FILE] : [RUN_RESULT_FILE];
const resources = (p: { threads: number }) => ({ cpus: p.threads });
const label = (p: TrainParams) =>
  `model=${p.model},task=${p.task},method=${p.method}${sizeLabel(p.method, sizeOf(p))},` +
  `lr=${p.lr},seed=${p.seed}${p.keepWeights ? ",keepWeights=true" : ""}`;

/** One train kind: every kind shares inputs, outputs, resources, label, estimate and runner. */
function trainStage<S extends z.ZodType<TrainParams>>(
  kind: string,
  description: string,
  params: S,
) {
  return defineStage({
    kind,
    description,
    module: import.meta.url,
    params,
    inputs,
    outputs,
    resources,
    label,
    estimate: estimateTrainRun,
    run: (ctx) => runTrainStage(ctx, onnxBackend),
  });
}

export const trainFullStage = trainStage(
  METHODS.full.trainKind,
  "full fine-tuning run (the baseline of the 90% target)",
  fullParamsSchema,
);

export const trainSubspaceStage = trainStage(
  METHODS.did.trainKind,
  "DID / SAID run in a random Fastfood subspace of dimension d",
  subspaceParamsSchema,
);

export const trainLoraStage = trainStage(
  METHODS.lora.trainKind,
  "LoRA run of rank r (the exported graphs' size)",
  loraParamsSchema,
);

/** The three train kinds. */
export const trainStages = [trainFullStage, trainSubspaceStage, trainLoraStage];
