/**
 * The report's writers, imported on first call: the report's libraries (arquero, Vega) are
 * loaded only by the process that writes a report, not by every instance process that loads the
 * stage registry.
 *
 * @module
 */
import type * as WriteReport from "./write_report.ts";
import type * as SpectrumSection from "./spectrum_section.ts";

/** Builds and writes the report (`write_report.ts`, imported on first call). */
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
