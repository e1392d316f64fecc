/**
 * What the planner knows of a study's provenance and hands to `collect-results` as parameters
 * (the config as validated, the evaluation policy, the reference baselines), and how that stage
 * completes it with what only the running machine knows (code version, hardware, providers).
 *
 * @module
 */
import { z } from "zod";
import { collectCodeVersion, collectHardware } from "./collect_provenance.ts";
import {
  type CollectedResults,
  droppedPointSchema,
  type MissingRecord,
  type Provenance,
  type ProvenanceInstance,
  trainKindOf,
} from "../results/mod.ts";
import { EVAL_POLICY } from "../train/mod.ts";

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
  /** Grid points dropped at plan time (they cannot exist for their model). */
  droppedPoints: z.array(droppedPointSchema).optional(),
});

/** Parsed planner-side provenance. */
export type ProvenanceParams = z.infer<typeof provenanceParamsSchema>;

/** What `collect-results` states when the planner gave no provenance. */
export const UNRECORDED_PROVENANCE_PARAMS: ProvenanceParams = {
  config: { path: "not recorded", text: "" },
  evaluationPolicy: {
    selectSplit: "select",
    reportSplit: "report",
    lrSelection: EVAL_POLICY,
    seeds: "not recorded",
  },
  referenceBaselines: [],
};

/** The instances behind collected results: every threshold, point and run, with its key. */
export function collectedInstances(doc: CollectedResults): ProvenanceInstance[] {
  const size = (s: number | null) => (s === null ? "" : ` ${s}`);
  return [
    ...doc.thresholds.map((t) => ({
      kind: "threshold",
      label: `${t.model} ${t.task} ${t.method}`,
      key: t.key ?? "",
    })),
    ...doc.points.map((pt) => ({
      kind: "lr-search",
      label: `${pt.model} ${pt.task} ${pt.method}${size(pt.size)} seed ${pt.seed}`,
      key: pt.key ?? "",
    })),
    ...doc.points.flatMap((pt) =>
      pt.runs.map((r) => ({
        kind: trainKindOf(r.method),
        label: `${r.model} ${r.task} ${r.method}${size(r.size)} lr ${r.lr} seed ${r.seed}`,
        key: r.key ?? "",
      }))
    ),
  ];
}

/** The execution providers of every collected run (empty ones dropped). */
export function collectedProviders(doc: CollectedResults): string[] {
  return doc.points.flatMap((pt) => pt.runs.map((r) => r.provider)).filter((x) => !!x);
}

/** Completes the provenance on the machine that collects the results. */
export async function completeProvenance(
  given: ProvenanceParams,
  instances: ProvenanceInstance[],
  providers: string[],
  projectDir: string,
  failures: MissingRecord[] = [],
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
    ...(given.droppedPoints?.length ? { droppedPoints: given.droppedPoints } : {}),
    ...(failures.length > 0 ? { failures } : {}),
  };
}
