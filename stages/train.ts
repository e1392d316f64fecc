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
import type { z } from "zod";
import { defineStage, type InstanceRef } from "../lib/pipeline/stage.ts";
import {
  estimateTrainRun,
  fullParamsSchema,
  KEPT_WEIGHTS_FILE,
  loraParamsSchema,
  onnxBackend,
  runTrainStage,
  sizeOf,
  subspaceParamsSchema,
  type TrainParams,
} from "../lib/train/mod.ts";
import { METHODS, RUN_RESULT_FILE, sizeLabel } from "../lib/results/mod.ts";

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
