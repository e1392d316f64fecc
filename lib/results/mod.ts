/**
 * Records that cross a stage boundary: one schema, file name, reader and writer each, plus the method → stage kind → size parameter table.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export {
  COLLECT_FILES,
  COLLECTED_FILES,
  type CollectedResults,
  collectedResultsSchema,
  readProvenanceJson,
  writeCollectedResults,
  writeProvenance,
} from "./collected.ts";
export {
  type DeltaSpectrum,
  type MatrixSpectrum,
  readDeltaSpectrum,
  type RunSpectrum,
  SPECTRUM_FILE,
  writeDeltaSpectrum,
} from "./delta_spectrum.ts";
export { parseRecord, readJsonFile } from "./json_file.ts";
export {
  METHODS,
  sizeLabel,
  sizeParamOf,
  SWEEP_METHODS,
  type SweepMethod,
  trainKindOf,
} from "./methods.ts";
export {
  droppedLine,
  droppedPointSchema,
  missingFrom,
  missingLine,
  type MissingRecord,
} from "./missing.ts";
export { POINT_FILE, type PointResult, readPointResult, writePointResult } from "./point_result.ts";
export {
  type Hardware,
  type Provenance,
  type ProvenanceInstance,
  provenanceSchema,
} from "./provenance.ts";
export { readRunResult, RUN_RESULT_FILE, type RunResult, writeRunResult } from "./run_result.ts";
export { runsOf, writeCollectedTables } from "./tables.ts";
export {
  readThresholdResult,
  THRESHOLD_FILE,
  type ThresholdResult,
  writeThresholdResult,
} from "./threshold_result.ts";
export { type EvalPoint, type Method, type Metrics } from "./types.ts";
