/**
 * Encoder models: configs, weight initialization and files, safetensors conversion, parameterizations (full, LoRA, subspace), ONNX graph export and compute estimates.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export {
  classifierGraph,
  initClassifier,
  smallBertConfig,
  type SmallBertShape,
} from "./classifier_graph.ts";
export {
  formatCount,
  KNOWN_SHAPES,
  knownShape,
  matmulParams,
  type RunCost,
  runFlops,
  shapeOfModelRef,
} from "./compute.ts";
export {
  type EncoderConfig,
  parseConfig,
  readConfig,
  ROBERTA_LARGE_SHAPE,
  toHfConfig,
} from "./config.ts";
export { exportGraphs, type GraphMeta } from "./export.ts";
export { readInitState } from "./init_state.ts";
export { fastfoodApply, makeFastfood } from "./fastfood_params.ts";
export { initWeights, modelParams } from "./init.ts";
export { seqClsSpecs } from "./parameterize/common.ts";
export { fullName } from "./parameterize/full.ts";
export { loraScale } from "./parameterize/lora.ts";
export { layerGroup } from "./parameterize/said.ts";
export { countParams, encoderParams, numel, type ParamSpec } from "./params.ts";
export { convertSafetensors } from "./safetensors.ts";
export {
  readWeightsIndex,
  readWeightsTensor,
  type WeightsIndex,
  WeightsWriter,
} from "./weights_file.ts";
