/**
 * The gaps of a study, as records: a **missing** input is an instance that failed (or was
 * skipped) at run time, which a tolerant stage (`lr-search`, `threshold`, `collect-results`)
 * went on without; a **dropped** grid point is one the planner removed from a model's grid
 * because it cannot exist for that model (SAID d ≤ m scales, d above the parameter count,
 * LoRA r above the targeted layers' smaller side). The report lists both.
 *
 * @module
 */
import { z } from "zod";

/** An input a stage ran without: which instance, why it is missing, and its log. */
export const missingRecordSchema = z.looseObject({
  /** The input's role, e.g. `lr-run`, `point`, `threshold`. */
  kind: z.string(),
  /** The instance's display id. */
  id: z.string(),
  /** Its error (or why it was skipped). */
  reason: z.string(),
  /** Its log file. */
  log: z.string().optional(),
});

/** A missing input. */
export type MissingRecord = z.infer<typeof missingRecordSchema>;

/** A grid point removed at plan time. */
export const droppedPointSchema = z.strictObject({
  model: z.string(),
  method: z.enum(["did", "said", "lora"]),
  size: z.number(),
  reason: z.string(),
});

/** A dropped grid point. */
export type DroppedPoint = z.infer<typeof droppedPointSchema>;

/** What a stage context says of a failed input (structurally the engine's `FailedInput`). */
export interface FailedInputLike {
  id: string;
  error: string;
  log: string;
}

/** Missing records from a stage's failed inputs (sorted by input name), all of one role. */
export function missingFrom(
  failed: Record<string, FailedInputLike>,
  kind: string,
): MissingRecord[] {
  return Object.keys(failed).sort().map((n) => ({
    kind,
    id: failed[n].id,
    reason: failed[n].error,
    log: failed[n].log,
  }));
}

/** `dropped: said d=100 for bert-base (d ≤ m = 14 scales)`. */
export function droppedLine(d: DroppedPoint): string {
  return `dropped: ${d.method} ${d.method === "lora" ? "r" : "d"}=${d.size} for ${d.model} ` +
    `(${d.reason})`;
}

/** `missing: <id>: <reason> (log <path>)`. */
export function missingLine(m: MissingRecord): string {
  return `missing ${m.kind}: ${m.id}: ${m.reason}${m.log ? ` (log ${m.log})` : ""}`;
}
