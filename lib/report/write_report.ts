/**
 * Builds the whole report from validated results and writes it:
 *
 * `index.html`, `summary.md`, `summary.csv`, `runs.csv`, `stats.json`, and per chart
 * `charts/<name>.vl.json`, `charts/<name>.svg`, `charts/<name>.png`.
 *
 * Everything is computed and rendered in memory first; files are written only once all of
 * it succeeded, so a failure leaves no half-written report.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { analyze } from "./analysis.ts";
import { buildCharts } from "./charts/mod.ts";
import { buildPage } from "./html.ts";
import { readLibraries } from "./libraries.ts";
import type { ReportData } from "./load_results.ts";
import { type ReportChecks, summaryMarkdown } from "./markdown.ts";
import { fallLines, lrEdgeRows, lrEdgeSummary, searchAgreementLines } from "./diagnostics.ts";
import { renderSvg, requireFont, svgToPng } from "./render.ts";
import { runRows, summaryRows, toCsv } from "./tables.ts";
import { DEFAULT_REPORT_OPTIONS, REPORT_FILES, type ReportOptions } from "./report_files.ts";

/** Builds the report from `data` and writes every file of `REPORT_FILES` under `outDir`. */
export async function writeReport(
  data: ReportData,
  outDir: string,
  options: ReportOptions = DEFAULT_REPORT_OPTIONS,
  log: (message: string) => void = () => {},
): Promise<string[]> {
  const fontFile = requireFont(options.fontFile);
  // Where a sweep has both the grid's and the adaptive search's result, the grid's is the one
  // analysed and drawn; the two are compared in the checks.
  const thresholds = data.thresholds.filter((t) =>
    t.search !== "adaptive" ||
    !data.thresholds.some((g) =>
      g.search !== "adaptive" && g.model === t.model && g.task === t.task &&
      g.method === t.method && g.pretrainSteps === t.pretrainSteps
    )
  );
  const checks: ReportChecks = {
    lrEdge: lrEdgeSummary(data.points),
    lrEdgeRows: lrEdgeRows(data.points) as unknown as Record<string, string>[],
    falls: fallLines(thresholds),
    searches: searchAgreementLines(data.thresholds, options.statistic),
  };
  const analysis = analyze(thresholds, {
    statistic: options.statistic,
    bootstrap: options.bootstrap,
  });
  const charts = buildCharts(data.points, thresholds, analysis);
  const files = new Map<string, string | Uint8Array>();
  for (const chart of charts) {
    const svg = await renderSvg(chart.spec);
    files.set(`charts/${chart.name}.vl.json`, JSON.stringify(chart.spec, null, 2) + "\n");
    files.set(`charts/${chart.name}.svg`, svg);
    files.set(`charts/${chart.name}.png`, await svgToPng(svg, { fontFile }));
    log(`rendered chart ${chart.name}${chart.hasData ? "" : " (no data: placeholder)"}`);
  }
  const summary = summaryRows(data.points, thresholds, options.statistic);
  const markdown = summaryMarkdown({
    title: options.title,
    analysis,
    rows: summary,
    thresholds,
    provenance: data.provenance,
    checks,
    bootstrap: options.bootstrap,
  });
  files.set("summary.md", markdown);
  files.set("summary.csv", toCsv(summary));
  files.set("runs.csv", toCsv(runRows(data.points)));
  files.set(
    "stats.json",
    JSON.stringify({ options: { ...options, fontFile: undefined }, analysis }, null, 2) + "\n",
  );
  files.set(
    "index.html",
    buildPage({
      title: options.title,
      charts,
      analysis,
      summaryRows: summary,
      thresholds,
      checks,
      provenance: data.provenance,
      summaryMarkdown: markdown,
      libraries: readLibraries(),
      bootstrap: options.bootstrap,
      files: {
        summaryCsv: "summary.csv",
        runsCsv: "runs.csv",
        summaryMd: "summary.md",
        stats: "stats.json",
      },
    }),
  );
  const missing = REPORT_FILES.filter((f) => !files.has(f));
  if (missing.length > 0) throw new Error(`report: internal error, files not built: ${missing}`);
  for (const [rel, content] of files) {
    const path = join(outDir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  log(`wrote ${files.size} files to ${outDir}`);
  return [...files.keys()];
}
