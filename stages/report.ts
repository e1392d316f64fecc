/**
 * Stage `report`: the last stage of the pipeline. Reads the collected results (one input,
 * `results`: the `collect-results` directory, `results.json` and `provenance.json`; see
 * `lib/results/collected.ts` and `lib/report/load_results.ts`) and writes the self-contained report, published under
 * `reports/`: `index.html`, `summary.md`, `summary.csv`, `runs.csv`, `stats.json` and
 * `charts/<name>.{vl.json,svg,png}` for each chart.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../lib/pipeline/stage.ts";
import { instanceRefSchema } from "../lib/refs/mod.ts";
import {
  DEFAULT_REPORT_OPTIONS,
  readResults,
  REPORT_FILES,
  spectrumFiles,
  writeReport,
  writeSpectrumSection,
} from "../lib/report/mod.ts";
import { readDeltaSpectrum } from "../lib/results/mod.ts";

/** Parameters of the `report` stage. */
export const reportParams = z.object({
  /** The `collect-results` instance (its directory holds results.json and provenance.json). */
  results: instanceRefSchema,
  title: z.string().min(1).default(DEFAULT_REPORT_OPTIONS.title),
  /** `value`: smallest grid size reaching the target; `interpolated`: log-interpolated crossing. */
  statistic: z.enum(["value", "interpolated"]).default("value"),
  bootstrapResamples: z.number().int().min(100).max(1_000_000).default(2000),
  seed: z.number().int().default(1),
  confidence: z.number().gt(0.5).lt(1).default(0.95),
  /** `delta-spectrum` instances: the ΔW-spectrum section (lib/report/spectrum_section.ts). */
  spectra: z.array(instanceRefSchema).optional(),
});

/** The (model, task) of each spectrum instance. */
const spectrumPairs = (p: ReportParams) =>
  (p.spectra ?? []).map((r) => ({ model: String(r.params.model), task: String(r.params.task) }));

/** Parsed parameters of the `report` stage. */
export type ReportParams = z.infer<typeof reportParams>;

/** The `report` stage. */
export const reportStage = defineStage({
  kind: "report",
  description:
    "Charts, tables, statistics and provenance of d90 and r90 as a self-contained HTML report",
  module: import.meta.url,
  params: reportParams,
  inputs: (p) => ({
    results: p.results,
    ...Object.fromEntries((p.spectra ?? []).map((r, i) => [`spectrum_${i}`, r])),
  }),
  outputs: (p) => [...REPORT_FILES, ...(p.spectra?.length ? spectrumFiles(spectrumPairs(p)) : [])],
  resources: () => ({ cpus: 1, memoryMiB: 1024, timeMinutes: 10 }),
  label: (p) => `statistic=${p.statistic}`,
  publish: () => "reports",
  async run(ctx) {
    const dir = ctx.inputs.results;
    if (dir === undefined) throw new Error("report: input `results` is missing from the context");
    ctx.log(`reading results from ${dir}`);
    const data = readResults(dir);
    ctx.log(`${data.points.length} points, ${data.thresholds.length} thresholds`);
    let done = 0;
    ctx.progress(0, 1, "rendering");
    await writeReport(
      data,
      ctx.outDir,
      {
        title: ctx.params.title,
        statistic: ctx.params.statistic,
        bootstrap: {
          resamples: ctx.params.bootstrapResamples,
          seed: ctx.params.seed,
          confidence: ctx.params.confidence,
        },
      },
      (m) => {
        ctx.log(m);
        if (ctx.signal.aborted) throw new Error("report: interrupted");
        done++;
      },
    );
    if (ctx.params.spectra?.length) {
      const docs = ctx.params.spectra.map((_, i) => readDeltaSpectrum(ctx.inputs[`spectrum_${i}`]));
      await writeSpectrumSection(docs, data.thresholds, ctx.outDir, {
        bootstrap: { resamples: ctx.params.bootstrapResamples, seed: ctx.params.seed },
      });
      ctx.log(`spectrum section: ${docs.length} (model, task, seed)`);
    }
    ctx.progress(1, 1, `${done} steps`);
  },
});

export default reportStage;
