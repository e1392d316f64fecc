/**
 * The stage registry: every stage kind the pipeline can plan and run, in data-flow order.
 *
 * @module
 */
import type { StageDefinition } from "../lib/pipeline/stage.ts";
import downloadDataset from "./download_dataset.ts";
import embeddedTokenizer from "./embedded_tokenizer.ts";
import downloadModel from "./download_model.ts";
import { pretrainStage } from "./pretrain.ts";
import tokenize from "./tokenize.ts";
import exportGraphs from "./export_graphs.ts";
import { trainFullStage, trainLoraStage, trainSubspaceStage } from "./train.ts";
import { lrSearchStage } from "./lr_search.ts";
import { thresholdStage } from "./threshold.ts";
import { thresholdSearchStage } from "./threshold_search.ts";
import { deltaSpectrumStage } from "./delta_spectrum.ts";
import { collectResultsStage } from "./collect_results.ts";
import { reportStage } from "./report.ts";

/** Every stage kind, by data-flow order. */
// deno-lint-ignore no-explicit-any
export const stages: StageDefinition<any>[] = [
  downloadDataset,
  embeddedTokenizer,
  downloadModel,
  pretrainStage,
  tokenize,
  exportGraphs,
  trainFullStage,
  trainSubspaceStage,
  trainLoraStage,
  lrSearchStage,
  thresholdStage,
  thresholdSearchStage,
  deltaSpectrumStage,
  collectResultsStage,
  reportStage,
];
