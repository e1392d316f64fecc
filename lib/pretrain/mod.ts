/**
 * Masked-language-model pretraining of small encoders: parameters and the training run.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { pretrainConfig, type PretrainParams, pretrainParamsSchema } from "./params.ts";
export { PRETRAIN_OUTPUTS, type PretrainManifest, runPretrain } from "./run.ts";
