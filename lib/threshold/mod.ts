/**
 * Intrinsic-dimension thresholds: sweep parameters, aggregation over seeds, bootstrap crossings and the adaptive search.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { adaptiveThreshold } from "./adaptive_search.ts";
export { computeThreshold } from "./aggregate.ts";
export { tInterval } from "./seed_stats.ts";
export {
  baselineInputs,
  checkPoint,
  modelParamsOf,
  resolveBaseline,
  type SweepParams,
} from "./sweep_params.ts";
