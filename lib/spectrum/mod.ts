/**
 * Delta spectra: the singular values of fine-tuning updates, measured per seed.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { measureSeed } from "./measure_seed.ts";
export {
  COMPARED_METHODS,
  spectrumInputs,
  spectrumOnDemand,
  spectrumParamsSchema,
} from "./spectrum_params.ts";
