/**
 * `PointResult`: one point of a sweep after the learning-rate search (the best lr's run, every
 * lr kept), written by `lr-search` as `point.json` and read by the threshold stages and
 * `collect-results`.
 *
 * @module
 */
import * as path from "node:path";
import { z } from "zod";
import { missingRecordSchema } from "./missing.ts";
import { readJsonRecord, writeJsonAtomic } from "./json_file.ts";
import { finite, methodSchema, runResultSchema } from "./run_result.ts";

/** The file an `lr-search` instance writes. */
export const POINT_FILE = "point.json";

/** One sweep point: (model, task, method, size, seed) with all its lr runs. */
export const pointResultSchema = z.looseObject({
  model: z.string(),
  task: z.string(),
  method: methodSchema,
  /** d for did/said, r for lora, null for full fine-tuning. */
  size: finite.positive().nullable(),
  seed: finite,
  metric: z.string(),
  /** Reported-split primary metric of the best run (lr chosen on the selection split). */
  value: finite.nullable(),
  bestLr: finite.nullable(),
  /** Selection-split primary metric of the best run's chosen step. */
  selectValue: finite.nullable().optional(),
  /** The selection policy in words (which split chose the lr and the step). */
  policy: z.string().optional(),
  runs: z.array(runResultSchema),
  /** Every lr tried, ascending (grid and extension; absent in records before the extension). */
  lrs: z.array(finite).optional(),
  /** The lrs the edge extension added (empty: the grid's best was inside it). */
  extended: z.array(finite).optional(),
  /** Whether the final best lr is still the lowest or highest tried (null: inside). */
  lrEdge: z.enum(["low", "high"]).nullable().optional(),
  /**
   * The seed whose lr search chose this point's lr (`lr_select: first-seed`); absent when the
   * point chose among its own runs.
   */
  lrFrom: finite.optional(),
  /** The lr runs that failed: the point is the best of the others. */
  missing: z.array(missingRecordSchema).optional(),
});

/** One sweep point (`point.json`). */
export type PointResult = z.infer<typeof pointResultSchema>;

/** Writes `point` as `<dir>/point.json`, atomically. */
export function writePointResult(dir: string, point: PointResult): void {
  writeJsonAtomic(path.join(dir, POINT_FILE), point);
}

/** Reads and validates `<dir>/point.json`. */
export function readPointResult(dir: string): PointResult {
  return readJsonRecord(path.join(dir, POINT_FILE), pointResultSchema);
}
