/**
 * `summary.md`: the answer to both questions, the summary table and the provenance in a few
 * lines, ready to paste into a paper draft or an issue.
 *
 * @module
 */
import type { ThresholdResult } from "../results/types.ts";
import { type Analysis, methodName } from "./analysis.ts";
import { correlationNotes, correlationText, slopeText } from "./format.ts";
import type { Provenance } from "../results/provenance.ts";
import { gapsMarkdown } from "./gaps.ts";
import { hardwareRecorded } from "./provenance.ts";
import { summaryMarkdownTable, type SummaryRow } from "./tables.ts";

/** Statistic description shared by the page and the Markdown. */
export function statisticDescription(analysis: Analysis): string {
  return analysis.statistic === "value"
    ? "d90/r90 = the smallest grid size reaching the target (mean over seeds)"
    : "d90/r90 = the log-interpolated crossing of the target (mean over seeds)";
}

/** Lines stating the d90–r90 correlations (question 1). */
export function correlationLines(analysis: Analysis): string[] {
  if (analysis.correlations.length === 0) {
    return ["No DID or SAID thresholds in the results: nothing to correlate with r90."];
  }
  return analysis.correlations.map((c) => {
    const who = c.variant === null ? "all models" : c.variant;
    const notes = correlationNotes(c.result);
    const tail = notes.length > 0 ? ` — ${notes.join(" ")}` : ".";
    const missing = c.excluded.length > 0 ? ` Excluded: ${c.excluded.join("; ")}.` : "";
    return `${methodName(c.method)} d90 vs LoRA r90, ${who}: ${
      correlationText(c.result)
    }${tail}${missing}`;
  });
}

/** Lines stating the parameter-count slopes (question 2). */
export function scalingLines(analysis: Analysis): string[] {
  const lines = analysis.scaling.map((s) => {
    const sym = s.method === "lora" ? "r90" : "d90";
    const note = s.result.fit === null ? "" : s.result.note !== null ? ` — ${s.result.note}` : ".";
    const missing = s.excluded.length > 0 ? ` Excluded: ${s.excluded.join("; ")}.` : "";
    return `${s.task}, ${methodName(s.method)} ${sym} vs parameters: ${
      slopeText(s.result)
    }${note}${missing}`;
  });
  if (analysis.singleModelTasks.length > 0) {
    lines.push(
      `Not fitted (measured on a single model): ${analysis.singleModelTasks.join(", ")}.`,
    );
  }
  if (lines.length === 0) lines.push("No thresholds in the results: nothing to fit.");
  return lines;
}

/** Which thresholds use a reference baseline instead of a measured one. */
export function referenceLines(thresholds: ThresholdResult[], provenance: Provenance): string[] {
  const groups = new Map<string, { t: ThresholdResult; methods: string[] }>();
  for (const t of thresholds) {
    if (t.baselineSource !== "reference") continue;
    const k = `${t.model}\u0000${t.pretrainSteps ?? ""}\u0000${t.task}`;
    const g = groups.get(k) ?? { t, methods: [] };
    g.methods.push(`${methodName(t.method)} ${t.method === "lora" ? "r90" : "d90"}`);
    groups.set(k, g);
  }
  return [...groups.values()].map(({ t, methods }) => {
    const ref = provenance.referenceBaselines.find((r) => r.model === t.model && r.task === t.task);
    const cite = ref ? ref.citation : "no citation given in provenance.json";
    return `${t.model} / ${t.task}: ${methods.join(", ")} are measured against the reference ` +
      `baseline ${t.metric} ${t.baseline} (${cite}), not a measured full fine-tuning run.`;
  });
}

/** Builds `summary.md`. */
export function summaryMarkdown(args: {
  title: string;
  analysis: Analysis;
  rows: SummaryRow[];
  thresholds: ThresholdResult[];
  provenance: Provenance;
}): string {
  const { title, analysis, rows, thresholds, provenance } = args;
  const bullet = (lines: string[]) => lines.map((l) => `- ${l}`).join("\n");
  const refs = referenceLines(thresholds, provenance);
  const pct = Math.round(analysis.confidence * 100);
  return [
    `# ${title}`,
    "",
    `${statisticDescription(analysis)}; correlations of log d90 vs log r90 with ${pct}% ` +
    "percentile bootstrap CIs; slopes are OLS of log threshold on log parameter count with " +
    `${pct}% t-based CIs.`,
    "",
    "## Does d90 track r90 across tasks?",
    "",
    bullet(correlationLines(analysis)),
    "",
    "## Does r90 (and d90) fall with model size?",
    "",
    bullet(scalingLines(analysis)),
    "",
    "## Summary",
    "",
    summaryMarkdownTable(rows, thresholds).trimEnd(),
    "",
    ...(gapsMarkdown(provenance) ? [gapsMarkdown(provenance)] : []),
    refs.length > 0
      ? `Reference baselines:\n\n${bullet(refs)}\n`
      : "All baselines were measured.\n",
    `Code ${provenance.code.describe} (${provenance.code.commit})` +
    `${provenance.code.dirty ? ", uncommitted changes" : ""}; config ${provenance.config.path}; ` +
    `execution provider ${provenance.executionProvider}; ` +
    (hardwareRecorded(provenance)
      ? `${provenance.hardware.cpuModel}, ${provenance.hardware.cores} cores, ` +
        `${provenance.hardware.memoryGiB} GiB.`
      : "hardware not recorded."),
    ...(provenance.missing ? ["", `Provenance incomplete: ${provenance.missing}`] : []),
    "",
  ].join("\n");
}
