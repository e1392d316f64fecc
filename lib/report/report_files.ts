/**
 * What a report is made of, without building one: its options and defaults, and the files the
 * main report and the ΔW-spectrum section consist of (the report stage's outputs).
 *
 * @module
 */
import type { ThresholdStatistic } from "./analysis.ts";
import { CHART_NAMES } from "./charts/mod.ts";
import { SCATTER_CHART, spectrumChartName } from "./charts/delta_spectrum.ts";

/** Options of a report. */
export interface ReportOptions {
  title: string;
  /** Which threshold number the statistics and charts use. */
  statistic: ThresholdStatistic;
  bootstrap: { resamples: number; seed: number; confidence: number };
  /** Font for PNG rendering (default DejaVu Sans from fonts-dejavu-core). */
  fontFile?: string;
}

/** Default options. */
export const DEFAULT_REPORT_OPTIONS: ReportOptions = {
  title: "idim: intrinsic dimension and LoRA rank",
  statistic: "value",
  bootstrap: { resamples: 2000, seed: 1, confidence: 0.95 },
};

/** Every file a report consists of (relative paths), the same for any input. */
export const REPORT_FILES: readonly string[] = [
  "index.html",
  "summary.md",
  "summary.csv",
  "runs.csv",
  "stats.json",
  ...CHART_NAMES.flatMap((n) => [`charts/${n}.vl.json`, `charts/${n}.svg`, `charts/${n}.png`]),
];

/** The section's files for these (model, task) pairs (the report stage's outputs). */
export function spectrumFiles(pairs: { model: string; task: string }[]): string[] {
  const stems = [
    ...new Set(pairs.map((p) => spectrumChartName(p.model, p.task))),
    SCATTER_CHART,
  ];
  return [
    "spectrum.html",
    "spectrum.md",
    "spectrum.json",
    ...stems.flatMap((n) => [`charts/${n}.vl.json`, `charts/${n}.svg`, `charts/${n}.png`]),
  ];
}
