/**
 * The schema of a reference to an upstream stage instance as it appears inside another
 * instance's parameters (`{ kind, params }`), shared by every stage parameter schema.
 *
 * @module
 */
import { z } from "zod";
import type { InstanceRef, Json } from "../pipeline/stage.ts";

/** The engine's instance reference, for modules outside the planner that pass references on. */
export type { InstanceRef };

/** A reference to an upstream stage instance, as it appears inside parameters. */
export const instanceRefSchema: z.ZodType<InstanceRef> = z.strictObject({
  kind: z.string().min(1),
  params: z.record(z.string(), z.any()) as z.ZodType<Record<string, Json>>,
});
