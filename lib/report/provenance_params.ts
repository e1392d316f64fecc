/**
 * What the planner knows of a study's provenance and hands to `collect-results` as parameters
 * (the config as validated, the evaluation policy, the reference baselines), and how that stage
 * completes it with what only the running machine knows (code version, hardware, providers).
 *
 * @module
 */
import { z } from "zod";
import { collectCodeVersion, collectHardware } from "./collect_provenance.ts";
import type { Provenance, ProvenanceInstance } from "./provenance.ts";

/** The planner-side part of the provenance, a `collect-results` parameter. */
export const provenanceParamsSchema = z.strictObject({
  config: z.strictObject({ path: z.string(), text: z.string() }),
  evaluationPolicy: z.strictObject({
    selectSplit: z.string(),
    reportSplit: z.string(),
    lrSelection: z.string(),
    seeds: z.string(),
    notes: z.string().optional(),
  }),
  referenceBaselines: z.array(z.strictObject({
    model: z.string(),
    task: z.string(),
    metric: z.string(),
    value: z.number(),
    citation: z.string(),
  })).default([]),
});

/** Parsed planner-side provenance. */
export type ProvenanceParams = z.infer<typeof provenanceParamsSchema>;

/** Completes the provenance on the machine that collects the results. */
export async function completeProvenance(
  given: ProvenanceParams,
  instances: ProvenanceInstance[],
  providers: string[],
  projectDir: string,
): Promise<Provenance> {
  let code: Provenance["code"];
  try {
    code = await collectCodeVersion(projectDir);
  } catch (e) {
    code = {
      describe: `unknown (${(e as Error).message.split("\n")[0]})`,
      commit: "",
      dirty: false,
    };
  }
  const distinct = [...new Set(providers)].sort();
  return {
    config: given.config,
    code,
    instances,
    hardware: collectHardware(),
    executionProvider: distinct.length > 0 ? distinct.join(", ") : "none recorded",
    evaluationPolicy: given.evaluationPolicy,
    referenceBaselines: given.referenceBaselines,
    createdAt: new Date().toISOString(),
  };
}
