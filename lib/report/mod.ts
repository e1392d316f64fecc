/**
 * The report: loading collected results, statistics, charts, HTML and Markdown output, provenance.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
import type * as WriteReport from "./write_report.ts";
import type * as SpectrumSection from "./spectrum_section.ts";

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

/**
 * Builds and writes the report (`write_report.ts`). Imported on first call: the report's
 * libraries (arquero, Vega) are loaded only by the process that writes a report, not by every
 * instance process that loads the stage registry.
 */
export async function writeReport(
  ...args: Parameters<typeof WriteReport.writeReport>
): ReturnType<typeof WriteReport.writeReport> {
  return (await import("./write_report.ts")).writeReport(...args);
}

/** Writes the ΔW-spectrum section (`spectrum_section.ts`), imported on first call. */
export async function writeSpectrumSection(
  ...args: Parameters<typeof SpectrumSection.writeSpectrumSection>
): ReturnType<typeof SpectrumSection.writeSpectrumSection> {
  return (await import("./spectrum_section.ts")).writeSpectrumSection(...args);
}
