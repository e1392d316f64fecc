/**
 * Datasets: the task table, downloading and preparing splits (Hub or embedded), tokenizing them into token tensors, and the task metrics.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { loadNlpCorpus } from "./embedded/nlp_corpus.ts";
export { argmaxRows, computeMetrics } from "./metrics.ts";
export { packageDir } from "./npm_assets.ts";
export { finishTask, readEmbeddedSource, readHubSource, writePreparedTask } from "./prepare.ts";
export { type MetricName, ROLE_SPLITS } from "./schema.ts";
export { TASKS, taskSpec } from "./tasks.ts";
export {
  readTokensMeta,
  readTokenTensors,
  TENSOR_NAMES,
  type TokenTensors,
} from "./token_tensors.ts";
export { sha256Hex, tokenizeDataset } from "./tokenize_splits.ts";
