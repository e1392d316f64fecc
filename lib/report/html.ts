/**
 * The self-contained `index.html`: vega, vega-lite and vega-embed inlined, each chart's spec
 * (data inline) in a `<script type="application/json">` block, the answers with their CIs and
 * "too few points" statements, the tables, the Markdown summary and the provenance. It needs
 * no network and works from `file://`.
 *
 * When every chart is embedded, `<html data-charts="ready">` is set and
 * `window.__idimViews[name]` holds each Vega view (the browser test counts their marks); on a
 * failure `data-charts="error"` is set and the error goes to the console.
 *
 * @module
 */
import type { Provenance, ThresholdResult } from "../results/mod.ts";
import { type Analysis, methodName } from "./analysis.ts";
import type { Chart } from "./charts/common.ts";
import { estimateText, fixed, fmt, paramCount } from "./format.ts";
import type { InlineLibrary } from "./libraries.ts";
import {
  correlationLines,
  estimatorDescription,
  referenceLines,
  type ReportChecks,
  scalingLines,
} from "./markdown.ts";
import { gapLines } from "./gaps.ts";
import { hardwareRecorded } from "./provenance.ts";
import { htmlTable, summaryHtmlTable, type SummaryRow } from "./tables.ts";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** JSON that is safe inside `<script type="application/json">` (no `<` at all). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** What the page is built from. */
export interface PageInput {
  title: string;
  charts: Chart[];
  analysis: Analysis;
  summaryRows: SummaryRow[];
  thresholds: ThresholdResult[];
  /** The reviewer's checks: lr edges, falls, search agreement. */
  checks: ReportChecks;
  provenance: Provenance;
  summaryMarkdown: string;
  libraries: InlineLibrary[];
  bootstrap: { resamples: number; seed: number };
  /** Relative links to the data files. */
  files: { summaryCsv: string; runsCsv: string; summaryMd: string; stats: string };
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0 auto; max-width: 1500px;
  padding: 0 24px 48px; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 2em; }
nav a { margin-right: 1em; } .meta { color: #555; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; } th { background: #f4f4f4; }
figure { margin: 1.5em 0; } figcaption { color: #555; font-size: 0.9em; }
.chart { min-height: 60px; overflow-x: auto; }
.note { color: #8a4b00; } pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 0.85em; }
li { margin: 0.3em 0; }
`;

const EMBED_SCRIPT = `
(function () {
  var root = document.documentElement;
  window.__idimViews = {};
  var blocks = Array.prototype.slice.call(document.querySelectorAll("script[data-chart-spec]"));
  Promise.all(blocks.map(function (block) {
    var name = block.getAttribute("data-chart-spec");
    var spec = JSON.parse(block.textContent);
    return vegaEmbed("#chart-" + name, spec, {
      renderer: "svg",
      actions: { export: true, source: true, compiled: false, editor: false },
    }).then(function (result) { window.__idimViews[name] = result.view; });
  })).then(function () {
    root.setAttribute("data-charts", "ready");
  }, function (error) {
    root.setAttribute("data-charts", "error");
    console.error("chart embedding failed:", error);
  });
})();
`;

function list(lines: string[]): string {
  return `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>`;
}

function chartSection(charts: Chart[]): string {
  return charts.map((c) => {
    const base = `charts/${c.name}`;
    return `<figure id="figure-${c.name}">
<div id="chart-${c.name}" class="chart" data-has-data="${c.hasData}"></div>
<figcaption>${escapeHtml(c.title)} — <a href="${base}.svg">SVG</a> · <a href="${base}.png">PNG</a> ·
<a href="${base}.vl.json">Vega-Lite spec</a></figcaption>
<script type="application/json" data-chart-spec="${c.name}">${scriptJson(c.spec)}</script>
</figure>`;
  }).join("\n");
}

function statisticsTables(analysis: Analysis): string {
  const corr = analysis.correlations.map((c) => ({
    method: `${methodName(c.method)} vs LoRA`,
    models: c.variant ?? "all",
    n: String(c.result.n),
    "Spearman ρ [CI]": estimateText(c.result.spearman),
    "Pearson r, log–log [CI]": estimateText(c.result.pearson),
    notes: [...new Set([c.result.spearman.note, c.result.pearson.note].filter(Boolean))].join(" "),
    excluded: c.excluded.join("; "),
  }));
  const slopes = analysis.scaling.map((s) => ({
    task: s.task,
    threshold: `${methodName(s.method)} ${s.method === "lora" ? "r90" : "d90"}`,
    n: String(s.result.n),
    slope: fixed(s.result.fit?.slope),
    CI: s.result.fit ? `[${fixed(s.result.fit.ci.low)}, ${fixed(s.result.fit.ci.high)}]` : "—",
    "R²": fixed(s.result.fit?.r2),
    points: s.points.map((p) => `${p.model} (${paramCount(p.params)}): ${fmt(p.value)}`).join("; "),
    notes: s.result.note ?? "",
    excluded: s.excluded.join("; "),
  }));
  return `<h3>Correlation of log d90 and log r90</h3>${htmlTable(corr)}
<h3>Log–log slope against parameter count</h3>${htmlTable(slopes)}`;
}

function provenanceSection(p: Provenance, thresholds: ThresholdResult[]): string {
  const refs = referenceLines(thresholds, p);
  const baselines = new Map<string, Record<string, string>>();
  for (const t of thresholds) {
    const k = `${t.model}\u0000${t.pretrainSteps ?? ""}\u0000${t.task}`;
    if (baselines.has(k)) continue;
    const ref = p.referenceBaselines.find((r) => r.model === t.model && r.task === t.task);
    baselines.set(k, {
      model: t.pretrainSteps === undefined ? t.model : `${t.model} (${t.pretrainSteps} steps)`,
      task: t.task,
      metric: t.metric,
      baseline: String(t.baseline),
      source: t.baselineSource,
      citation: t.baselineSource === "reference" ? (ref?.citation ?? "(none given)") : "",
    });
  }
  const hw = p.hardware;
  const policy = p.evaluationPolicy;
  const missing = p.missing
    ? `<p class="note" id="provenance-missing"><strong>Provenance incomplete:</strong> ${
      escapeHtml(p.missing)
    }</p>`
    : "";
  return `${missing}<h3>Code and configuration</h3>
<ul><li>Code version: <code>${escapeHtml(p.code.describe)}</code> (commit <code>${
    escapeHtml(p.code.commit)
  }</code>${p.code.dirty ? ", with uncommitted changes" : ""})</li>
<li>Config: <code>${escapeHtml(p.config.path)}</code></li>
${p.createdAt ? `<li>Results collected: ${escapeHtml(p.createdAt)}</li>` : ""}</ul>
<pre id="config-text">${escapeHtml(p.config.text)}</pre>
<h3>Hardware and execution provider</h3>
<ul><li>CPU: ${
    hardwareRecorded(p)
      ? `${escapeHtml(hw.cpuModel)}, ${hw.cores} cores, ${hw.memoryGiB} GiB memory`
      : "not recorded"
  }</li>
${hw.gpus && hw.gpus.length > 0 ? `<li>GPUs: ${escapeHtml(hw.gpus.join(", "))}</li>` : ""}
${hw.os ? `<li>OS: ${escapeHtml(hw.os)}</li>` : ""}
${hw.executor ? `<li>Executor: ${escapeHtml(hw.executor)}</li>` : ""}
<li>Execution provider: <code>${escapeHtml(p.executionProvider)}</code></li></ul>
<h3>Evaluation policy</h3>
<ul><li>Selection split: ${escapeHtml(policy.selectSplit)}</li>
<li>Reported split: ${escapeHtml(policy.reportSplit)}</li>
<li>Learning rate: ${escapeHtml(policy.lrSelection)}</li>
<li>Seeds: ${escapeHtml(policy.seeds)}</li>
${policy.notes ? `<li>${escapeHtml(policy.notes)}</li>` : ""}</ul>
<h3>Baselines</h3>
${htmlTable([...baselines.values()])}
${
    refs.length > 0
      ? `<p class="note">Numbers from a reference value rather than a measured baseline:</p>${
        list(refs)
      }`
      : "<p>Every baseline was measured by the pipeline's own full fine-tuning runs.</p>"
  }
<h3>Instances</h3>
${htmlTable(p.instances.map((i) => ({ kind: i.kind, instance: i.label, key: i.key })))}`;
}

/** Builds the whole page. */
export function buildPage(input: PageInput): string {
  const { analysis, provenance } = input;
  const pct = Math.round(analysis.confidence * 100);
  const scripts = input.libraries
    .map((l) =>
      `<script data-library="${escapeHtml(l.name)}@${escapeHtml(l.version)}">\n${l.code}\n</script>`
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
${scripts}
</head>
<body>
<header>
<h1>${escapeHtml(input.title)}</h1>
<p class="meta">Code <code>${escapeHtml(provenance.code.describe)}</code> · config
<code>${escapeHtml(provenance.config.path)}</code> · provider
<code>${escapeHtml(provenance.executionProvider)}</code>${
    provenance.createdAt ? ` · ${escapeHtml(provenance.createdAt)}` : ""
  }</p>
<nav><a href="#answers">Answers</a><a href="#checks">Checks</a><a href="#charts">Charts</a><a href="#summary">Summary</a>
<a href="#statistics">Statistics</a><a href="#provenance">Provenance</a>
<a href="${input.files.summaryCsv}">summary.csv</a><a href="${input.files.runsCsv}">runs.csv</a>
<a href="${input.files.summaryMd}">summary.md</a><a href="${input.files.stats}">stats.json</a></nav>
</header>
<section id="answers">
<h2>Answers</h2>
<p id="estimator">${
    escapeHtml(estimatorDescription(analysis, input.bootstrap.resamples, input.bootstrap.seed))
  }.</p>
<p>Correlations use log d90 and log r90 of pairs where both are interior crossings (a value
reached at the grid's first size is only an upper bound), with ${pct}% percentile bootstrap CIs
over pairs (${input.bootstrap.resamples} resamples, seed ${input.bootstrap.seed}); slopes are OLS of log threshold on log parameter count with ${pct}%
t-based CIs. Thresholds that never reached the target are left out, and listed.</p>
<h3>Does d90 track r90 across tasks?</h3>
${list(correlationLines(analysis))}
<h3>Does r90 (and d90) fall with model size?</h3>
${list(scalingLines(analysis))}
</section>
<section id="checks">
<h2>Checks</h2>
<h3>Learning rates at the edge of the lrs tried</h3>
<p id="lr-edge-summary">${escapeHtml(input.checks.lrEdge)}</p>
${input.checks.lrEdgeRows.length > 0 ? htmlTable(input.checks.lrEdgeRows) : ""}
<h3>Do the curves rise?</h3>
${list(input.checks.falls)}
${
    input.checks.searches.length > 0
      ? `<h3>Adaptive search vs full grid</h3>${list(input.checks.searches)}`
      : ""
  }
</section>
<section id="charts">
<h2>Charts</h2>
${chartSection(input.charts)}
</section>
<section id="summary">
<h2>Summary</h2>
${summaryHtmlTable(input.summaryRows, input.thresholds, analysis.statistic)}
<p>Every run, all learning rates: <a href="${input.files.runsCsv}">runs.csv</a>. This table:
<a href="${input.files.summaryCsv}">summary.csv</a>.</p>
<details><summary>Markdown summary (ready to paste)</summary>
<pre id="summary-markdown">${escapeHtml(input.summaryMarkdown)}</pre></details>
</section>
${
    gapLines(provenance).length > 0
      ? `<section id="gaps">\n<h2>Missing and dropped points</h2>\n${
        list(gapLines(provenance))
      }\n</section>`
      : ""
  }
<section id="statistics">
<h2>Statistics</h2>
${statisticsTables(analysis)}
</section>
<section id="provenance">
<h2>Provenance</h2>
${provenanceSection(provenance, input.thresholds)}
</section>
<script>${EMBED_SCRIPT}</script>
</body>
</html>
`;
}
