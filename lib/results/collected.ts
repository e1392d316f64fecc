/**
 * The collected results: what `collect-results` writes for the report. `results.json` holds
 * every threshold and every point (each with all its lr runs) and the selection policy, each
 * record with its instance `key`; `provenance.json` says how they were produced; the CSV files
 * flatten them for spreadsheets (see `tables.ts`).
 *
 * @module
 */
import * as path from "node:path";
import { z } from "zod";
import { readJsonFile, readJsonRecord, writeJsonAtomic } from "./json_file.ts";
import { missingRecordSchema } from "./missing.ts";
import { pointResultSchema } from "./point_result.ts";
import { type Provenance, provenanceSchema } from "./provenance.ts";
import { thresholdResultSchema } from "./threshold_result.ts";

/** The files of a collected-results directory. */
export const COLLECTED_FILES = {
  /** `CollectedResults`. */
  results: "results.json",
  /** `Provenance`. */
  provenance: "provenance.json",
  /** One row per training run. */
  runsCsv: "runs.csv",
  /** One row per sweep point. */
  pointsCsv: "points.csv",
  /** One row per threshold. */
  thresholdsCsv: "thresholds.csv",
} as const;

/** Every file `collect-results` writes. */
export const COLLECT_FILES: string[] = Object.values(COLLECTED_FILES);

/** The instance key of a collected record (null where it could not be recovered). */
const keyField = { key: z.string().nullable().optional() };

/** Everything the report needs besides the provenance, in one document (`results.json`). */
export const collectedResultsSchema = z.looseObject({
  /** The selection policy in words. */
  policy: z.string().optional(),
  thresholds: z.array(thresholdResultSchema.extend(keyField)),
  points: z.array(pointResultSchema.extend(keyField)),
  /** Thresholds and points that failed: the study goes on without them; the report lists them. */
  missing: z.array(missingRecordSchema).optional(),
});

/** The content of `results.json`. */
export type CollectedResults = z.infer<typeof collectedResultsSchema>;
/** A collected threshold: the record plus its instance key. */
export type CollectedThreshold = CollectedResults["thresholds"][number];
/** A collected point: the record plus its instance key. */
export type CollectedPoint = CollectedResults["points"][number];

/** Writes `results.json`, atomically. */
export function writeCollectedResults(dir: string, doc: CollectedResults): void {
  writeJsonAtomic(path.join(dir, COLLECTED_FILES.results), doc);
}

/** Reads and validates `results.json`. */
export function readCollectedResults(dir: string): CollectedResults {
  return readJsonRecord(path.join(dir, COLLECTED_FILES.results), collectedResultsSchema);
}

/** Writes `provenance.json`, atomically. */
export function writeProvenance(dir: string, provenance: Provenance): void {
  writeJsonAtomic(path.join(dir, COLLECTED_FILES.provenance), provenance);
}

/** Reads `provenance.json` unvalidated (null when absent), for callers that validate it. */
export function readProvenanceJson(dir: string): unknown | null {
  const file = path.join(dir, COLLECTED_FILES.provenance);
  try {
    Deno.statSync(file);
  } catch {
    return null;
  }
  return readJsonFile(file);
}

/** Reads and validates `provenance.json`. */
export function readProvenance(dir: string): Provenance {
  return readJsonRecord(path.join(dir, COLLECTED_FILES.provenance), provenanceSchema);
}
