/**
 * The flat CSV views of the collected results that `collect-results` writes beside
 * `results.json`: `runs.csv` (one row per training run), `points.csv` (one per sweep point) and
 * `thresholds.csv` (one per d90 / r90). CSV is written by arquero: RFC 4180 quoting, null and
 * missing values as empty fields, a header row even when there are no rows.
 *
 * @module
 */
import * as path from "node:path";
import type * as Arquero from "arquero";
import { COLLECTED_FILES, type CollectedPoint, type CollectedResults } from "./collected.ts";
import type { RunResult } from "./run_result.ts";

/** Columns of `runs.csv`. */
export const RUN_COLUMNS = [
  "model",
  "task",
  "method",
  "size",
  "lr",
  "seed",
  "status",
  "reason",
  "metric",
  "best_step",
  "select",
  "report",
  "steps",
  "trainable_params",
  "wall_seconds",
  "samples_per_second",
  "provider",
  "key",
] as const;

/** Columns of `points.csv`: fields of the point records. */
export const POINT_COLUMNS = [
  "model",
  "task",
  "method",
  "size",
  "seed",
  "metric",
  "value",
  "bestLr",
  "selectValue",
  "key",
] as const;

/** Columns of `thresholds.csv`: fields of the threshold records. */
export const THRESHOLD_COLUMNS = [
  "model",
  "task",
  "method",
  "metric",
  "baseline",
  "baselineSource",
  "fraction",
  "target",
  "value",
  "interpolated",
  "spread",
  "search",
  "runsUsed",
  "runsSaved",
  "modelParams",
  "key",
] as const;

/**
 * Renders rows as CSV with exactly the given columns, in order (header included). arquero is
 * imported here, on first use, so that loading this folder (every stage does) does not load it.
 */
export async function toCsv(columns: readonly string[], rows: readonly object[]): Promise<string> {
  const aq: typeof Arquero = await import("arquero");
  const cell = (r: object, c: string) => (r as Record<string, unknown>)[c] ?? null;
  return aq.table(Object.fromEntries(columns.map((c) => [c, rows.map((r) => cell(r, c))])))
    .toCSV();
}

/** One `runs.csv` row. */
export function runRow(r: RunResult): Record<(typeof RUN_COLUMNS)[number], unknown> {
  return {
    model: r.model,
    task: r.task,
    method: r.method,
    size: r.size,
    lr: r.lr,
    seed: r.seed,
    status: r.status,
    reason: r.reason,
    metric: r.metric,
    best_step: r.best?.step,
    select: r.best?.select[r.metric],
    report: r.best?.report[r.metric],
    steps: r.steps,
    trainable_params: r.trainableParams,
    wall_seconds: r.wallSeconds,
    samples_per_second: r.samplesPerSecond,
    provider: r.provider,
    key: r.key,
  };
}

/** Every run of the points, in point order. */
export function runsOf(points: readonly CollectedPoint[]): RunResult[] {
  return points.flatMap((pt) => pt.runs);
}

/** Writes `runs.csv`, `points.csv` and `thresholds.csv` into `dir`. */
export async function writeCollectedTables(dir: string, doc: CollectedResults): Promise<void> {
  const write = (file: string, csv: string) => Deno.writeTextFileSync(path.join(dir, file), csv);
  write(COLLECTED_FILES.runsCsv, await toCsv(RUN_COLUMNS, runsOf(doc.points).map(runRow)));
  write(COLLECTED_FILES.pointsCsv, await toCsv(POINT_COLUMNS, doc.points));
  write(COLLECTED_FILES.thresholdsCsv, await toCsv(THRESHOLD_COLUMNS, doc.thresholds));
}
