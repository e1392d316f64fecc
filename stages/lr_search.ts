/**
 * `lr-search`: one point of a sweep, (model, task, method, size, seed), after the learning-rate
 * search. Its inputs are the train instances of every lr in the grid; it picks the best lr by
 * the select-split metric and reports that run's report-split metric. Every lr's run is kept.
 * A failed lr run is tolerated: the point is the best of the others and lists it as `missing`;
 * when every lr failed, the point itself fails (its threshold then lists it).
 *
 * @module
 */
import { z } from "zod";
import { defineStage, type InstanceRef } from "../lib/pipeline/stage.ts";
import { instanceRefSchema } from "../lib/plan/instance_ref.ts";
import { sizeLabel } from "../lib/results/methods.ts";
import { missingFrom } from "../lib/results/missing.ts";
import { POINT_FILE, writePointResult } from "../lib/results/point_result.ts";
import { readRunResult, type RunResult } from "../lib/results/run_result.ts";
import { pointFromRuns } from "../lib/train/select.ts";

/** Parameters: a train instance without its lr, and the lr grid. */
export const lrSearchParams = z.strictObject({
  /** A `train-full`/`train-subspace`/`train-lora` reference; its `lr` comes from `lrs`. */
  train: instanceRefSchema.refine((r) => !("lr" in r.params), {
    message: "train.params must not set lr: the learning rates come from lrs",
  }),
  lrs: z.array(z.number().positive()).min(1).refine((a) => new Set(a).size === a.length, {
    message: "lrs must be distinct",
  }),
});

/** The train instance of one lr. */
export function trainRefForLr(p: z.infer<typeof lrSearchParams>, lr: number): InstanceRef {
  return { kind: p.train.kind, params: { ...p.train.params, lr } };
}

export const lrSearchStage = defineStage({
  kind: "lr-search",
  description: "best learning rate of one (method, size, seed) point, chosen on the select split",
  module: import.meta.url,
  params: lrSearchParams,
  inputs: (p) => Object.fromEntries(p.lrs.map((lr, i) => [`lr_${i}`, trainRefForLr(p, lr)])),
  tolerates: () => "all",
  outputs: () => [POINT_FILE],
  label: (p) => {
    const t = p.train.params;
    const graphs = t.graphs as { params?: { size?: number } } | undefined;
    const size = (t.d ?? graphs?.params?.size) as number | undefined;
    return `model=${t.model},task=${t.task},method=${t.method ?? p.train.kind}${
      sizeLabel(t.method, size)
    },seed=${t.seed},lrs=${p.lrs.length}`;
  },
  run(ctx) {
    const missing = missingFrom(ctx.failedInputs, "lr-run");
    const runs: RunResult[] = ctx.params.lrs.flatMap((_, i) =>
      `lr_${i}` in ctx.inputs ? [readRunResult(ctx.inputs[`lr_${i}`])] : []
    );
    if (runs.length === 0) {
      throw new Error(
        `every lr run failed: ${missing.map((m) => `${m.id}: ${m.reason}`).join("; ")}`,
      );
    }
    for (const m of missing) ctx.log(`lr run missing: ${m.id}: ${m.reason} (log ${m.log})`);
    const point = { ...pointFromRuns(runs), ...(missing.length > 0 ? { missing } : {}) };
    for (const r of runs) {
      ctx.log(`lr ${r.lr}: ${r.status} select ${r.metric}=${r.best?.select[r.metric] ?? "-"}`);
    }
    ctx.log(`best lr ${point.bestLr}: report ${point.metric}=${point.value}`);
    writePointResult(ctx.outDir, point);
    return Promise.resolve();
  },
});
