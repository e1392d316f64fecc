/**
 * The report: loading collected results, statistics, charts, HTML and Markdown output, provenance.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { readResults } from "./load_results.ts";
export {
  collectedInstances,
  collectedProviders,
  completeProvenance,
  type ProvenanceParams,
  provenanceParamsSchema,
  UNRECORDED_PROVENANCE_PARAMS,
} from "./provenance_params.ts";
export { tQuantile } from "./student_t.ts";
export {
  DEFAULT_REPORT_OPTIONS,
  REPORT_FILES,
  type ReportOptions,
  spectrumFiles,
} from "./report_files.ts";
export { writeReport, writeSpectrumSection } from "./on_demand.ts";
