/**
 * The report's tables, built with arquero: every run (`runs.csv`), one summary row per model
 * variant and task (`summary.csv`), and display versions of both for Markdown and HTML.
 *
 * @module
 */
import * as aq from "arquero";
import type { PointResult, ThresholdResult } from "../results/mod.ts";
import { thresholdNumber, type ThresholdStatistic } from "./analysis.ts";
import { thresholdText } from "./diagnostics.ts";

type Table = ReturnType<typeof aq.from>;

/** One row of `runs.csv`. */
export interface RunRow {
  model: string;
  pretrain_steps: number | null;
  task: string;
  method: string;
  size: number | null;
  seed: number;
  lr: number;
  /** True for the run whose lr the point chose. */
  chosen: boolean;
  status: string;
  reason: string | null;
  metric: string;
  select_value: number | null;
  report_value: number | null;
  best_step: number | null;
  steps: number;
  trainable_params: number;
  wall_seconds: number;
  samples_per_second: number;
  provider: string;
  key: string | null;
}

/** Every training run of every point (all learning rates), in input order. */
export function runRows(points: PointResult[]): RunRow[] {
  return points.flatMap((p) =>
    p.runs.map((r) => ({
      model: r.model,
      pretrain_steps: r.pretrainSteps ?? null,
      task: r.task,
      method: r.method,
      size: r.size,
      seed: r.seed,
      lr: r.lr,
      chosen: p.bestLr !== null && r.lr === p.bestLr,
      status: r.status,
      reason: r.reason ?? null,
      metric: r.metric,
      select_value: r.best?.select[r.metric] ?? null,
      report_value: r.best?.report[r.metric] ?? null,
      best_step: r.best?.step ?? null,
      steps: r.steps,
      trainable_params: r.trainableParams,
      wall_seconds: r.wallSeconds,
      samples_per_second: r.samplesPerSecond,
      provider: r.provider,
      key: r.key ?? null,
    }))
  );
}

/** One row of `summary.csv`: a model variant on a task. */
export interface SummaryRow {
  model: string;
  pretrain_steps: number | null;
  params: number | null;
  task: string;
  metric: string;
  baseline: number | null;
  baseline_source: string | null;
  fraction: number | null;
  target: number | null;
  /** d90 of DID / SAID and r90 of LoRA (the analysis' statistic); null: not reached or not run. */
  d90_did: number | null;
  d90_said: number | null;
  r90: number | null;
  d90_did_interpolated: number | null;
  d90_said_interpolated: number | null;
  r90_interpolated: number | null;
  /** Training runs (every lr, seed, size and method, full fine-tuning included). */
  runs: number;
  /** Sum of the runs' wall-clock seconds. */
  compute_seconds: number;
}

function pointSteps(p: PointResult): number | undefined {
  return p.runs.find((r) => r.pretrainSteps !== undefined)?.pretrainSteps;
}

const rowKey = (model: string, steps: number | undefined, task: string) =>
  JSON.stringify([model, steps ?? null, task]);

/** The summary rows, ordered by model, pretraining steps and task. */
export function summaryRows(
  points: PointResult[],
  thresholds: ThresholdResult[],
  statistic: ThresholdStatistic,
): SummaryRow[] {
  const rows = new Map<string, SummaryRow>();
  const get = (model: string, steps: number | undefined, task: string, metric: string) => {
    const k = rowKey(model, steps, task);
    let row = rows.get(k);
    if (row === undefined) {
      row = {
        model,
        pretrain_steps: steps ?? null,
        params: null,
        task,
        metric,
        baseline: null,
        baseline_source: null,
        fraction: null,
        target: null,
        d90_did: null,
        d90_said: null,
        r90: null,
        d90_did_interpolated: null,
        d90_said_interpolated: null,
        r90_interpolated: null,
        runs: 0,
        compute_seconds: 0,
      };
      rows.set(k, row);
    }
    return row;
  };
  for (const t of thresholds) {
    const row = get(t.model, t.pretrainSteps, t.task, t.metric);
    row.params = t.modelParams;
    row.baseline = t.baseline;
    row.baseline_source = t.baselineSource;
    row.fraction = t.fraction;
    row.target = t.target;
    const v = thresholdNumber(t, statistic);
    if (t.method === "did") [row.d90_did, row.d90_did_interpolated] = [v, t.interpolated];
    if (t.method === "said") [row.d90_said, row.d90_said_interpolated] = [v, t.interpolated];
    if (t.method === "lora") [row.r90, row.r90_interpolated] = [v, t.interpolated];
  }
  for (const p of points) {
    const row = get(p.model, pointSteps(p), p.task, p.metric);
    row.runs += p.runs.length;
    for (const r of p.runs) row.compute_seconds += r.wallSeconds;
  }
  for (const row of rows.values()) {
    row.compute_seconds = Math.round(row.compute_seconds * 10) / 10;
  }
  return [...rows.values()].sort((a, b) =>
    a.model !== b.model
      ? (a.model < b.model ? -1 : 1)
      : (a.pretrain_steps ?? -1) !== (b.pretrain_steps ?? -1)
      ? (a.pretrain_steps ?? -1) - (b.pretrain_steps ?? -1)
      : a.task < b.task
      ? -1
      : 1
  );
}

/**
 * Writes rows as CSV (RFC 4180 quoting; nulls as empty fields; no trailing newline, so that
 * arquero's `fromCSV` reads back exactly these rows).
 */
export function toCsv(rows: object[]): string {
  if (rows.length === 0) return "";
  return aq.from(rows).toCSV();
}

/** Seconds as `1 h 05 min`, `3 min 20 s` or `12 s`. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  }
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${s} s`;
}

/**
 * The largest grid size a threshold's sweep tried, to state "not reached" as `> max`.
 * Keyed like the summary rows.
 */
export function maxSizes(thresholds: ThresholdResult[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of thresholds) {
    out.set(
      rowKey(t.model, t.pretrainSteps, t.task) + t.method,
      Math.max(0, ...t.points.map((p) => p.size)),
    );
  }
  return out;
}

/**
 * The summary as a display table: each threshold with its 95% interval over seeds,
 * "≤ v" when the grid's first size already reached the target, "> max" where not reached.
 */
export function summaryDisplay(
  rows: SummaryRow[],
  thresholds: ThresholdResult[],
  statistic: ThresholdStatistic = "value",
): Table {
  const byKey = new Map(
    thresholds.map((t) => [rowKey(t.model, t.pretrainSteps, t.task) + t.method, t]),
  );
  const cell = (row: SummaryRow, method: "did" | "said" | "lora") => {
    const t = byKey.get(rowKey(row.model, row.pretrain_steps ?? undefined, row.task) + method);
    return t === undefined ? "—" : thresholdText(t, statistic);
  };
  return aq.from(rows.map((r) => ({
    model: r.pretrain_steps === null ? r.model : `${r.model} (${r.pretrain_steps} steps)`,
    task: r.task,
    metric: r.metric,
    baseline: r.baseline === null
      ? "—"
      : `${r.baseline.toFixed(4)}${r.baseline_source === "reference" ? " (reference)" : ""}`,
    target: r.target === null ? "—" : r.target.toFixed(4),
    "d90 DID [95% CI]": cell(r, "did"),
    "d90 SAID [95% CI]": cell(r, "said"),
    "r90 [95% CI]": cell(r, "lora"),
    runs: String(r.runs),
    compute: duration(r.compute_seconds),
  })));
}

/** The summary as a Markdown table. */
export function summaryMarkdownTable(
  rows: SummaryRow[],
  thresholds: ThresholdResult[],
  statistic: ThresholdStatistic = "value",
): string {
  return summaryDisplay(rows, thresholds, statistic).toMarkdown();
}

/** The summary as an HTML table (arquero escapes the cells). */
export function summaryHtmlTable(
  rows: SummaryRow[],
  thresholds: ThresholdResult[],
  statistic: ThresholdStatistic = "value",
): string {
  return summaryDisplay(rows, thresholds, statistic).toHTML();
}
/** An HTML table of string-valued rows (escaped by arquero). */
export function htmlTable(rows: Record<string, string>[]): string {
  return rows.length === 0 ? "<p>(none)</p>" : aq.from(rows).toHTML();
}

/** A Markdown table of string-valued rows. */
export function markdownTable(rows: Record<string, string>[]): string {
  return rows.length === 0 ? "(none)\n" : aq.from(rows).toMarkdown();
}
