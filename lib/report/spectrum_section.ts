/**
 * The report's ΔW-spectrum section, kept apart from the main report: `spectrum.html` (linked
 * from `index.html`), `spectrum.md`, `spectrum.json` (rows, correlations) and the charts
 * `charts/spectrum_<model>_<task>.*` and `charts/spectrum_vs_thresholds.*`.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DeltaSpectrum, ThresholdResult } from "../results/mod.ts";
import {
  scatterChart,
  type SpectrumChart,
  spectrumChart,
  spectrumChartName,
} from "./charts/delta_spectrum.ts";
import { escapeHtml } from "./html.ts";
import { renderSvg, requireFont, svgToPng } from "./render.ts";
import { analyzeSpectra, type SpectrumAnalysis } from "./spectrum_analysis.ts";
import type { BootstrapOptions } from "./stats.ts";

const num = (v: number | null, digits = 3) => v === null ? "—" : Number(v.toPrecision(digits));

/** The section as Markdown: the table and the statements. */
export function spectrumMarkdown(a: SpectrumAnalysis): string {
  const head = "| model | task | seeds | e90 ΔW (LoRA targets) | e90 ΔW (all) | stable rank | " +
    "‖ΔW‖_F | ‖ΔW‖/‖W0‖ | e90 LoRA@r90 | e90 DID@d90 | r90 | d90 |";
  const rows = a.rows.map((r) =>
    `| ${r.model} | ${r.task} | ${r.seeds} | ${num(r.fullE90Targets)} | ${num(r.fullE90All)} | ` +
    `${num(r.fullStableRank)} | ${num(r.fullNorm)} | ${num(r.fullRelNorm)} | ${num(r.loraE90)} | ` +
    `${num(r.didE90)} | ${num(r.r90)} | ${num(r.d90)} |`
  );
  return [
    "## Spectrum of the full fine-tuning update ΔW",
    "",
    "e90: fewest singular values holding 90% of ‖ΔW‖²_F, mean over layers (and seeds).",
    "",
    head,
    `|${" --- |".repeat(12)}`,
    ...rows,
    "",
    ...a.correlations.map((c) => `- ${c.statement}`),
    "",
  ].join("\n");
}

function page(title: string, a: SpectrumAnalysis, charts: SpectrumChart[], svgs: string[]) {
  const md = spectrumMarkdown(a);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `</head><body style="font-family: 'DejaVu Sans', sans-serif; max-width: 1100px">` +
    `<h1>${escapeHtml(title)}</h1><ul>${
      a.correlations.map((c) => `<li>${escapeHtml(c.statement)}</li>`).join("")
    }</ul><pre>${escapeHtml(md)}</pre>` +
    charts.map((c, i) => `<h2>${escapeHtml(c.title)}</h2>${svgs[i]}`).join("") +
    `</body></html>\n`;
}

/** Builds and writes the section into `outDir`; links it from `index.html` when there is one. */
export async function writeSpectrumSection(
  docs: DeltaSpectrum[],
  thresholds: ThresholdResult[],
  outDir: string,
  options: { bootstrap?: BootstrapOptions; fontFile?: string } = {},
): Promise<string[]> {
  const fontFile = requireFont(options.fontFile);
  const analysis = analyzeSpectra(docs, thresholds, options.bootstrap);
  const byPair = new Map<string, DeltaSpectrum[]>();
  for (const d of docs) {
    const k = spectrumChartName(d.model, d.task);
    byPair.set(k, [...(byPair.get(k) ?? []), d]);
  }
  const charts = [...[...byPair.values()].map(spectrumChart), scatterChart(analysis)];
  const files = new Map<string, string | Uint8Array>();
  const svgs: string[] = [];
  for (const c of charts) {
    const svg = await renderSvg(c.spec);
    svgs.push(svg);
    files.set(`charts/${c.name}.vl.json`, JSON.stringify(c.spec, null, 2) + "\n");
    files.set(`charts/${c.name}.svg`, svg);
    files.set(`charts/${c.name}.png`, await svgToPng(svg, { fontFile }));
  }
  files.set("spectrum.md", spectrumMarkdown(analysis));
  files.set("spectrum.json", JSON.stringify(analysis, null, 1) + "\n");
  files.set("spectrum.html", page("Spectrum of the fine-tuning update ΔW", analysis, charts, svgs));
  for (const [rel, content] of files) {
    const file = join(outDir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  linkFromIndex(outDir);
  return [...files.keys()];
}

/** Adds a link to `spectrum.html` at the end of `index.html`'s body (once). */
function linkFromIndex(outDir: string): void {
  const index = join(outDir, "index.html");
  if (!existsSync(index)) return;
  const html = readFileSync(index, "utf8");
  if (html.includes('href="spectrum.html"')) return;
  const link = `<p><a href="spectrum.html">Spectrum of the fine-tuning update ΔW</a></p>`;
  const at = html.lastIndexOf("</body>");
  writeFileSync(index, at < 0 ? html + link : html.slice(0, at) + link + html.slice(at));
}
