/**
 * `collect-results`: gathers thresholds, points (with every lr's run) and provenance (instance
 * keys, selection policy) into one directory for the plots and the report: `results.json` plus
 * flat `runs.csv`, `points.csv` and `thresholds.csv`. Failed thresholds and points are
 * tolerated: they are listed under `missing` (and in the provenance's `failures`), with the
 * missing points and lr runs recorded inside the thresholds and points that exist.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../lib/pipeline/stage.ts";
import { instanceRefSchema } from "../lib/refs/mod.ts";
import {
  collectedInstances,
  collectedProviders,
  completeProvenance,
  provenanceParamsSchema,
  UNRECORDED_PROVENANCE_PARAMS,
} from "../lib/report/mod.ts";
import {
  COLLECT_FILES,
  type CollectedResults,
  missingFrom,
  type MissingRecord,
  readPointResult,
  readThresholdResult,
  runsOf,
  writeCollectedResults,
  writeCollectedTables,
  writeProvenance,
} from "../lib/results/mod.ts";
import { EVAL_POLICY } from "../lib/train/mod.ts";

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
  tolerates: () => "all",
  outputs: () => COLLECT_FILES,
  label: (p) => `thresholds=${p.thresholds.length},points=${p.points.length}`,
  async run(ctx) {
    const p = ctx.params;
    const thresholds = p.thresholds.flatMap((_, i) => {
      const name = `threshold_${i}`;
      if (!(name in ctx.inputs)) return [];
      return [{ ...readThresholdResult(ctx.inputs[name]), key: ctx.inputKeys[name] }];
    });
    const points = p.points.flatMap((_, i) => {
      const name = `point_${i}`;
      if (!(name in ctx.inputs)) return [];
      return [{ ...readPointResult(ctx.inputs[name]), key: ctx.inputKeys[name] }];
    });
    const role = (prefix: string, kind: string) =>
      missingFrom(
        Object.fromEntries(
          Object.entries(ctx.failedInputs).filter(([n]) => n.startsWith(prefix)),
        ),
        kind,
      );
    // Failed inputs, then what the existing thresholds and points went without.
    const missing: MissingRecord[] = [
      ...role("threshold_", "threshold"),
      ...role("point_", "point"),
    ];
    const seen = new Set(missing.map((m) => m.id));
    for (const r of [...thresholds, ...points]) {
      for (const m of r.missing ?? []) {
        if (!seen.has(m.id)) {
          seen.add(m.id);
          missing.push(m);
        }
      }
    }
    const doc: CollectedResults = {
      policy: EVAL_POLICY,
      thresholds,
      points,
      ...(missing.length > 0 ? { missing } : {}),
    };
    writeCollectedResults(ctx.outDir, doc);
    await writeCollectedTables(ctx.outDir, doc);
    const provenance = await completeProvenance(
      p.provenance ?? UNRECORDED_PROVENANCE_PARAMS,
      collectedInstances(doc),
      collectedProviders(doc),
      ctx.projectRoot,
      missing,
    );
    writeProvenance(ctx.outDir, provenance);
    ctx.log(
      `collected ${thresholds.length} thresholds, ${points.length} points, ` +
        `${runsOf(points).length} runs` +
        (missing.length > 0 ? `; ${missing.length} missing` : ""),
    );
  },
});
