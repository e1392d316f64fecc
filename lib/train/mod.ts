/**
 * Fine-tuning runs (full, subspace, LoRA): run configuration, the ONNX backend, training loop, checkpoints, selection and LR search extension.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export {
  readCheckpoint,
  sessionStateOf,
  sessionStateTensors,
  type TensorState,
  writeCheckpoint,
} from "./checkpoint.ts";
export { type DataOrderState } from "./data_order.ts";
export { estimateTrainRun } from "./estimate.ts";
export { KEPT_WEIGHTS_FILE, readKeptWeights } from "./keep_weights.ts";
export { extendLrSearch } from "./lr_extension.ts";
export { onnxBackend } from "./onnx_backend.ts";
export { hyperSchema, sizeOf, type TrainParams } from "./run_config.ts";
export { runTrainStage } from "./run_stage.ts";
export { EVAL_POLICY, pointFromRuns } from "./select.ts";
export { trainLoop, type TrainStepper } from "./train_loop.ts";
