/**
 * The normalized task schema every dataset is converted to, and its on-disk form.
 *
 * A dataset artifact directory holds `meta.json` ({@link TaskMeta}) and one JSON Lines file per
 * role split: `train.jsonl` (fit), `select.jsonl` (choose learning rates and thresholds) and
 * `report.jsonl` (the number that is reported). Each line is a {@link Row}.
 *
 * @module
 */

/** One example. `label` is an index into `labelNames` (-1 for unlabelled text). */
export interface Row {
  text_a: string;
  text_b?: string;
  label: number;
  /** Optional sub-population, e.g. the ANLI round ("r1") or the Brown document id. */
  group?: string;
}

/** The role splits of a prepared task. */
export const ROLE_SPLITS = ["train", "select", "report"] as const;
/** A role split name. */
export type RoleSplit = (typeof ROLE_SPLITS)[number];

/** Metric names computed per task. */
export type MetricName = "accuracy" | "f1" | "matthews";

/** Where each role split came from. */
export interface SplitProvenance {
  /** Original split names, e.g. `["train"]` or `["dev_r1", "dev_r2"]`. */
  from: string[];
  /** How it was carved: `all`, `holdout` (a seeded slice), `remainder`, `subsample`. */
  how: string;
  /** Rows. */
  rows: number;
  /** Rows per label. */
  labelCounts: number[];
}

/** meta.json of a dataset artifact. */
export interface TaskMeta {
  task: string;
  /** Human description of the data source (repo + revision + files, or npm package). */
  source: Record<string, unknown>;
  /** Whether the task has a second text. */
  pair: boolean;
  /** Label names, index = label id. Empty for an unlabelled corpus. */
  labelNames: string[];
  metrics: MetricName[];
  primaryMetric: MetricName;
  /** The evaluation policy (see lib/data/splits.ts). */
  policy: EvaluationPolicyRecord;
  splits: Record<RoleSplit, SplitProvenance>;
}

/** What meta.json records about the evaluation policy. */
export interface EvaluationPolicyRecord {
  name: string;
  description: string;
  seed: number;
  selectFraction: number;
  reportFraction?: number;
  nTrain?: number | null;
  nSelect?: number | null;
  nReport?: number | null;
}

/** Writes rows as JSON Lines. */
export async function writeJsonl(path: string, rows: readonly Row[]): Promise<void> {
  const parts: string[] = [];
  for (const r of rows) parts.push(JSON.stringify(r));
  await Deno.writeTextFile(path, parts.length ? parts.join("\n") + "\n" : "");
}

/** Reads and validates a JSON Lines split file; errors name the file and line. */
export async function readJsonl(path: string, nLabels?: number): Promise<Row[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  const rows: Row[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    let r: Row;
    try {
      r = JSON.parse(lines[i]);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: invalid JSON: ${(e as Error).message}`);
    }
    if (typeof r?.text_a !== "string") {
      throw new Error(`${path}:${i + 1}: expected a string "text_a"`);
    }
    if (r.text_b !== undefined && typeof r.text_b !== "string") {
      throw new Error(`${path}:${i + 1}: "text_b" must be a string when present`);
    }
    if (
      !Number.isInteger(r.label) || (nLabels !== undefined && r.label >= nLabels) || r.label < -1
    ) {
      throw new Error(
        `${path}:${i + 1}: "label" must be an integer in [-1, ${(nLabels ?? Infinity) - 1}], ` +
          `got ${JSON.stringify(r.label)}`,
      );
    }
    rows.push(r);
  }
  return rows;
}

/** Reads meta.json of a dataset artifact. */
export async function readTaskMeta(dir: string): Promise<TaskMeta> {
  const path = `${dir}/meta.json`;
  try {
    return JSON.parse(await Deno.readTextFile(path)) as TaskMeta;
  } catch (e) {
    throw new Error(`${path}: cannot read the dataset metadata: ${(e as Error).message}`);
  }
}

/** Rows per label id. */
export function labelCounts(rows: readonly Row[], nLabels: number): number[] {
  const c = new Array(nLabels).fill(0);
  for (const r of rows) if (r.label >= 0 && r.label < nLabels) c[r.label]++;
  return c;
}
