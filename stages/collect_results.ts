/**
 * `collect-results`: gathers thresholds, points (with every lr's run) and provenance (instance
 * keys, selection policy) into one directory for the plots and the report: `results.json` plus
 * flat `runs.csv`, `points.csv` and `thresholds.csv`.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../lib/pipeline/stage.ts";
import { instanceRefSchema } from "../lib/plan/instance_ref.ts";
import {
  collectedInstances,
  collectedProviders,
  completeProvenance,
  provenanceParamsSchema,
  UNRECORDED_PROVENANCE_PARAMS,
} from "../lib/report/provenance_params.ts";
import {
  COLLECT_FILES,
  type CollectedResults,
  writeCollectedResults,
  writeProvenance,
} from "../lib/results/collected.ts";
import { readPointResult } from "../lib/results/point_result.ts";
import { runsOf, writeCollectedTables } from "../lib/results/tables.ts";
import { readThresholdResult } from "../lib/results/threshold_result.ts";
import { EVAL_POLICY } from "../lib/train/select.ts";

export const collectResultsStage = defineStage({
  kind: "collect-results",
  description: "gathers thresholds, points, every run and their provenance into one folder",
  module: import.meta.url,
  params: z.strictObject({
    /** `threshold` / `threshold-search` instances. */
    thresholds: z.array(instanceRefSchema).default([]),
    /** `lr-search` instances (the baseline and every sweep point) to include in full. */
    points: z.array(instanceRefSchema).default([]),
    /** The config, evaluation policy and reference baselines, from the planner. */
    provenance: provenanceParamsSchema.optional(),
  }),
  inputs: (p) => ({
    ...Object.fromEntries(p.thresholds.map((r, i) => [`threshold_${i}`, r])),
    ...Object.fromEntries(p.points.map((r, i) => [`point_${i}`, r])),
  }),
  outputs: () => COLLECT_FILES,
  label: (p) => `thresholds=${p.thresholds.length},points=${p.points.length}`,
  async run(ctx) {
    const p = ctx.params;
    const thresholds = p.thresholds.map((_, i) => {
      const name = `threshold_${i}`;
      return { ...readThresholdResult(ctx.inputs[name]), key: ctx.inputKeys[name] };
    });
    const points = p.points.map((_, i) => {
      const name = `point_${i}`;
      return { ...readPointResult(ctx.inputs[name]), key: ctx.inputKeys[name] };
    });
    const doc: CollectedResults = { policy: EVAL_POLICY, thresholds, points };
    writeCollectedResults(ctx.outDir, doc);
    writeCollectedTables(ctx.outDir, doc);
    const provenance = await completeProvenance(
      p.provenance ?? UNRECORDED_PROVENANCE_PARAMS,
      collectedInstances(doc),
      collectedProviders(doc),
      ctx.projectRoot,
    );
    writeProvenance(ctx.outDir, provenance);
    ctx.log(
      `collected ${thresholds.length} thresholds, ${points.length} points, ` +
        `${runsOf(points).length} runs`,
    );
  },
});
