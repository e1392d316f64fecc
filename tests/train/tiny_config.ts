/**
 * The tiny end-to-end configuration: the caikit tiny BERT (vocab 1124, hidden 32, 5 layers; from
 * ../shared/oracle) with its tokenizer, the embedded spam task subsampled to a few hundred rows,
 * sequences of 32 tokens, and short runs. Builds the instance refs a planner would.
 */
import * as path from "node:path";
import type { InstanceRef, Json, StageDefinition } from "../../lib/pipeline/stage.ts";
import { type Method, sizeParamOf, trainKindOf } from "../../lib/results/methods.ts";
import downloadModel from "../../stages/download_model.ts";
import exportGraphs from "../../stages/export_graphs.ts";
import { stage as downloadDataset } from "../../stages/download_dataset.ts";
import { stage as tokenize } from "../../stages/tokenize.ts";
import { stage as embeddedTokenizer } from "../../stages/embedded_tokenizer.ts";
import { trainStages } from "../../stages/train.ts";
import { lrSearchStage } from "../../stages/lr_search.ts";
import { thresholdStage } from "../../stages/threshold.ts";
import { thresholdSearchStage } from "../../stages/threshold_search.ts";
import { collectResultsStage } from "../../stages/collect_results.ts";
import { ORACLE } from "../oracle_path.ts";

/** Tokenizer (vocab 1124) of the caikit tiny BERT. */
export const ORACLE_TOKENIZER = path.join(ORACLE, "caikit-tiny-BertForSequenceClassification");
/** hf-generated tiny BERT (vocab 1124, hidden 32, 3 layers), every weight random-filled. */
export const ORACLE_MODEL = path.join(ORACLE, "hf-generated/bert-seqcls");

export const TINY_STAGES = [
  downloadModel,
  downloadDataset,
  embeddedTokenizer,
  tokenize,
  exportGraphs,
  ...trainStages,
  lrSearchStage,
  thresholdStage,
  thresholdSearchStage,
  collectResultsStage,
] as unknown as StageDefinition[];

const BATCH = 16;
const SEQ = 32;

/** bert-base-uncased WordPiece restricted to the model's 1124 ids (word-level tokens). */
const tokenizer = { kind: "embedded-tokenizer", params: { vocab_size: 1124 } };
const model = {
  kind: "download-model",
  params: { name: "hf-tiny-bert", source: "local", path: ORACLE_MODEL, tokenizerFiles: [] },
};
const dataset = {
  kind: "download-dataset",
  params: { task: "spam", n_train: 256, n_select: 128, n_report: 128, seed: 0 },
};
const data = { kind: "tokenize", params: { dataset, tokenizer, max_length: SEQ } };

/** The training hyperparameters every tiny run shares. */
export const TINY_HYPER = { steps: 160, evalEvery: 40, warmupRatio: 0.1 };

/**
 * Exported graphs (`export-graphs`) for a method and size. lr and the schedule are graph inputs
 * fed by each run; the optimizer numbers here are only their defaults (as the planner does).
 */
export function graphs(method: string, size: number | null, seed = 0) {
  return {
    kind: "export-graphs",
    params: {
      model,
      method,
      ...(size !== null ? { size } : {}),
      ...(method === "lora" ? { loraAlpha: 8 } : {}),
      batch: BATCH,
      seq: SEQ,
      numLabels: 2,
      optimizer: {
        type: "adamw",
        lr: 1e-3,
        weightDecay: 0,
        clipNorm: 1,
        schedule: { warmupSteps: 0, totalSteps: 1 },
      },
      seed,
    } as Record<string, Json>,
  };
}

/** A train instance (without lr). */
export function trainRef(
  method: string,
  size: number | null,
  seed = 0,
  extra: Record<string, Json> = {},
) {
  // The LoRA rank is the graphs' size; only d is a train parameter of its own.
  const sizeKey = sizeParamOf(method as Method) === "d" ? { d: size } : {};
  return {
    kind: trainKindOf(method as Method),
    params: {
      model: "hf-tiny-bert",
      task: "spam",
      graphs: graphs(method, size, seed),
      data,
      ...(method === "did" || method === "said" ? { method } : {}),
      ...sizeKey,
      seed,
      ...TINY_HYPER,
      ...extra,
    } as unknown as Record<string, Json>,
  };
}

/** The lr-search point of (method, size, seed). */
export function pointRef(
  method: string,
  size: number | null,
  lrs: number[],
  seed = 0,
  extra: Record<string, Json> = {},
) {
  return { kind: "lr-search", params: { train: trainRef(method, size, seed, extra), lrs } };
}

/** A threshold (grid) or threshold-search (adaptive) instance. */
export function sweepRef(
  kind: "threshold" | "threshold-search",
  method: "did" | "said" | "lora",
  grid: number[],
  lrs: number[],
  baselineLrs: number[],
): InstanceRef {
  return {
    kind,
    params: {
      model: "hf-tiny-bert",
      task: "spam",
      method,
      baseline: { points: [pointRef("full", null, baselineLrs)] },
      points: grid.map((size) => ({ size, seed: 0, point: pointRef(method, size, lrs) })),
    } as unknown as Record<string, Json>,
  };
}
