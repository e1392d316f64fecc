/**
 * Reads and validates the report's `results` input directory:
 *
 * - `points.json`: `PointResult[]` (every sweep point, each with all its lr runs; full
 *   fine-tuning points have `method: "full"` and `size: null`),
 * - `thresholds.json`: `ThresholdResult[]` (d90 / r90 per model, task and method),
 * - `provenance.json`: `Provenance`.
 *
 * The single-file layout written by the `collect-results` stage is accepted too:
 * `results.json` = `{ policy: string, thresholds: ThresholdResult[], points: PointResult[] }`
 * (records may carry their instance `key`), with `provenance.json` optional: without it the
 * report says which provenance was not recorded and derives the rest from the records.
 *
 * Any problem is reported with the file and the key that is wrong; nothing is written.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import type { PointResult, ThresholdResult } from "../results/types.ts";
import {
  derivedProvenance,
  type Provenance,
  type ProvenanceInstance,
  provenanceSchema,
} from "./provenance.ts";
import { describeIssues, pointResultSchema, thresholdResultSchema } from "./results_schema.ts";

/** The file names in a `results` directory. */
export const RESULT_FILES = {
  points: "points.json",
  thresholds: "thresholds.json",
  provenance: "provenance.json",
  /** The `collect-results` stage's single file: `{ policy, thresholds, points }`. */
  collected: "results.json",
} as const;

/** Everything the report is computed from. */
export interface ReportData {
  points: PointResult[];
  thresholds: ThresholdResult[];
  provenance: Provenance;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`report input ${path} cannot be read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`report input ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function parse<S extends z.ZodType>(path: string, schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(`report input is malformed:\n${describeIssues(path, result.error)}`);
  }
  return result.data;
}

/** The identity of a threshold: model, pretraining steps, task and method. */
export function thresholdIdentity(t: ThresholdResult): string {
  return `${t.model}${
    t.pretrainSteps === undefined ? "" : `@${t.pretrainSteps}`
  }/${t.task}/${t.method}`;
}

/** Validates already-parsed report data (used by `readResults` and by tests). */
export function validateReportData(
  raw: { points: unknown; thresholds: unknown; provenance: unknown },
  dir = "results",
): ReportData {
  const pointsPath = join(dir, RESULT_FILES.points);
  const thresholdsPath = join(dir, RESULT_FILES.thresholds);
  const provenancePath = join(dir, RESULT_FILES.provenance);
  const points = parse(pointsPath, pointResultSchema.array(), raw.points) as PointResult[];
  const thresholds = parse(
    thresholdsPath,
    thresholdResultSchema.array(),
    raw.thresholds,
  ) as ThresholdResult[];
  const provenance = parse(provenancePath, provenanceSchema, raw.provenance) as Provenance;
  const seen = new Map<string, number>();
  thresholds.forEach((t, i) => {
    const id = thresholdIdentity(t);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new Error(
        `${thresholdsPath}: [${i}] duplicates [${first}] (${id}): ` +
          "expected one threshold per model, pretraining steps, task and method",
      );
    }
    seen.set(id, i);
    if (!(t.fraction > 0 && t.fraction <= 1)) {
      throw new Error(
        `${thresholdsPath}: [${i}].fraction: expected a number in (0, 1], got ${t.fraction}`,
      );
    }
  });
  return { points, thresholds, provenance };
}

/**
 * Reads a results directory and validates it: `points.json` + `thresholds.json` +
 * `provenance.json`, or `collect-results`' `results.json` (+ optional `provenance.json`).
 */
export function readResults(dir: string): ReportData {
  const provenancePath = join(dir, RESULT_FILES.provenance);
  const collectedPath = join(dir, RESULT_FILES.collected);
  if (!existsSync(join(dir, RESULT_FILES.points)) && existsSync(collectedPath)) {
    const doc = readJson(collectedPath);
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
      throw new Error(`${collectedPath}: expected an object { policy, thresholds, points }`);
    }
    const { policy, thresholds, points } = doc as Record<string, unknown>;
    if (policy !== undefined && typeof policy !== "string") {
      throw new Error(`${collectedPath}: policy: expected a string`);
    }
    const parsed = {
      points: parse(`${collectedPath} points`, pointResultSchema.array(), points) as PointResult[],
      thresholds: parse(
        `${collectedPath} thresholds`,
        thresholdResultSchema.array(),
        thresholds,
      ) as ThresholdResult[],
    };
    const provenance = existsSync(provenancePath)
      ? readJson(provenancePath)
      : derivedFromRecords(parsed, typeof policy === "string" ? policy : null);
    return validateReportData({ ...parsed, provenance }, dir);
  }
  return validateReportData(
    {
      points: readJson(join(dir, RESULT_FILES.points)),
      thresholds: readJson(join(dir, RESULT_FILES.thresholds)),
      provenance: readJson(provenancePath),
    },
    dir,
  );
}

function derivedFromRecords(
  data: { points: PointResult[]; thresholds: ThresholdResult[] },
  policy: string | null,
): Provenance {
  const instances: ProvenanceInstance[] = [];
  const keyOf = (r: object) => {
    const k = (r as { key?: unknown }).key;
    return typeof k === "string" && k !== "" ? k : null;
  };
  for (const t of data.thresholds) {
    const key = keyOf(t);
    if (key !== null) {
      instances.push({ kind: "threshold", label: `${t.model}/${t.task}/${t.method}`, key });
    }
  }
  for (const p of data.points) {
    const key = keyOf(p);
    const label = `${p.model}/${p.task}/${p.method}/size=${p.size ?? "full"}/seed=${p.seed}`;
    if (key !== null) instances.push({ kind: "point", label, key });
    for (const r of p.runs) {
      if (r.key !== undefined) {
        instances.push({ kind: "run", label: `${label}/lr=${r.lr}`, key: r.key });
      }
    }
  }
  const providers = [...new Set(data.points.flatMap((p) => p.runs.map((r) => r.provider)))];
  return derivedProvenance({
    instances,
    providers,
    policy,
    reason: "no provenance.json in the results input",
  });
}

/**
 * Validates `data` and writes it as a `results` directory (the report stage's input), each
 * file written to a temp name and renamed, so a reader never sees a half-written file.
 */
export function writeResults(dir: string, data: ReportData): void {
  const valid = validateReportData(data, dir);
  mkdirSync(dir, { recursive: true });
  const write = (name: string, value: unknown) => {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, JSON.stringify(value, null, 1) + "\n");
    renameSync(tmp, join(dir, name));
  };
  write(RESULT_FILES.points, valid.points);
  write(RESULT_FILES.thresholds, valid.thresholds);
  write(RESULT_FILES.provenance, valid.provenance);
}
