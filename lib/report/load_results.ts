/**
 * Reads and validates the report's `results` input: the directory `collect-results` writes
 * (`lib/results/collected.ts`): `results.json` = `{ policy, thresholds, points }` (records
 * with their instance `key`) and `provenance.json`. Without `provenance.json` the report says
 * which provenance was not recorded and derives the rest from the records.
 *
 * Any problem is reported with the file and the key that is wrong; nothing is written.
 *
 * @module
 */
import * as path from "node:path";
import {
  COLLECTED_FILES,
  type CollectedResults,
  collectedResultsSchema,
  parseRecord,
  type PointResult,
  type Provenance,
  type ProvenanceInstance,
  provenanceSchema,
  readJsonFile,
  readProvenanceJson,
  type ThresholdResult,
  writeCollectedResults,
  writeProvenance,
} from "../results/mod.ts";
import { derivedProvenance } from "./provenance.ts";

/** Everything the report is computed from. */
export interface ReportData {
  points: PointResult[];
  thresholds: ThresholdResult[];
  provenance: Provenance;
}

/**
 * The identity of a threshold: model, pretraining steps, task and method (and `adaptive` for the
 * adaptive search, which may sit beside the grid's result of the same sweep).
 */
export function thresholdIdentity(t: ThresholdResult): string {
  return `${t.model}${
    t.pretrainSteps === undefined ? "" : `@${t.pretrainSteps}`
  }/${t.task}/${t.method}${t.search === "adaptive" ? "/adaptive" : ""}`;
}

/**
 * Validates already-parsed report data (used by `readResults` and by tests): `results` as
 * `results.json` holds it, `provenance` as `provenance.json` does.
 */
export function validateReportData(
  raw: { results: unknown; provenance: unknown },
  dir = "results",
): ReportData {
  const resultsPath = path.join(dir, COLLECTED_FILES.results);
  const provenancePath = path.join(dir, COLLECTED_FILES.provenance);
  const { thresholds, points } = parseRecord(resultsPath, collectedResultsSchema, raw.results);
  const provenance = parseRecord(provenancePath, provenanceSchema, raw.provenance);
  const seen = new Map<string, number>();
  thresholds.forEach((t, i) => {
    const id = thresholdIdentity(t);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new Error(
        `${resultsPath}: thresholds[${i}] duplicates [${first}] (${id}): ` +
          "expected one threshold per model, pretraining steps, task, method and search",
      );
    }
    seen.set(id, i);
    if (!(t.fraction > 0 && t.fraction <= 1)) {
      throw new Error(
        `${resultsPath}: thresholds[${i}].fraction: expected a number in (0, 1], got ${t.fraction}`,
      );
    }
  });
  return { points, thresholds, provenance };
}

/** Reads a `collect-results` directory and validates it. */
export function readResults(dir: string): ReportData {
  const resultsPath = path.join(dir, COLLECTED_FILES.results);
  const results = readJsonFile(resultsPath);
  const provenance = readProvenanceJson(dir) ??
    derivedFromRecords(parseRecord(resultsPath, collectedResultsSchema, results));
  return validateReportData({ results, provenance }, dir);
}

function derivedFromRecords(data: CollectedResults): Provenance {
  const instances: ProvenanceInstance[] = [];
  const keyOf = (r: { key?: unknown }) => typeof r.key === "string" && r.key !== "" ? r.key : null;
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
    policy: data.policy ?? null,
    reason: "no provenance.json in the results input",
  });
}

/**
 * Validates `data` and writes it as a `collect-results` directory (the report stage's input),
 * each file written atomically. The selection policy is the provenance's lr selection.
 */
export function writeResults(dir: string, data: ReportData): void {
  const results = {
    policy: data.provenance.evaluationPolicy.lrSelection,
    thresholds: data.thresholds,
    points: data.points,
  };
  const valid = validateReportData({ results, provenance: data.provenance }, dir);
  Deno.mkdirSync(dir, { recursive: true });
  writeCollectedResults(dir, { ...results, thresholds: valid.thresholds, points: valid.points });
  writeProvenance(dir, valid.provenance);
}
