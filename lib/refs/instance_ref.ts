/**
 * The schema of a reference to an upstream stage instance as it appears inside another
 * instance's parameters (`{ kind, params }`), shared by every stage parameter schema.
 *
 * @module
 */
import { z } from "zod";
import type { Json } from "../hash/mod.ts";

/**
 * A reference to a stage instance: its kind and its (unparsed) parameters — the same shape as the
 * engine's `InstanceRef` (`lib/pipeline/stage.ts`), restated so that `lib/` needs no engine import.
 */
export interface InstanceRef {
  kind: string;
  params: Record<string, Json>;
}

/** A reference to an upstream stage instance, as it appears inside parameters. */
export const instanceRefSchema: z.ZodType<InstanceRef> = z.strictObject({
  kind: z.string().min(1),
  params: z.record(z.string(), z.any()) as z.ZodType<Record<string, Json>>,
});
