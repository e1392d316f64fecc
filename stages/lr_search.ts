/**
 * `lr-search`: one point of a sweep, (model, task, method, size, seed), after the learning-rate
 * search. Its inputs are the train instances of every lr in the grid; it picks the best lr by
 * the select-split metric and reports that run's report-split metric. Every lr's run is kept.
 * A failed lr run is tolerated: the point is the best of the others and lists it as `missing`;
 * when every lr failed, the point itself fails (its threshold then lists it).
 *
 * Edge extension: the lrs of `extend` (beyond the grid's low and high ends, planned by
 * lib/plan/lr_grid.ts) are on-demand inputs, keyed with the DAG and run only when needed: while
 * the best lr is the lowest (highest) tried and an unused extension lr remains on that side, the
 * next one is obtained and the choice repeated (`lib/train/lr_extension.ts`). The point records
 * the lrs tried, those added, and whether the final best still sits at an edge.
 *
 * @module
 */
import { z } from "zod";
import { defineStage, type InstanceRef } from "../lib/pipeline/stage.ts";
import { instanceRefSchema } from "../lib/refs/mod.ts";
import {
  missingFrom,
  POINT_FILE,
  readRunResult,
  type RunResult,
  sizeLabel,
  writePointResult,
} from "../lib/results/mod.ts";
import { extendLrSearch } from "../lib/train/mod.ts";

/** Parameters: a train instance without its lr, and the lr grid. */
export const lrSearchParams = z.strictObject({
  /** A `train-full`/`train-subspace`/`train-lora` reference; its `lr` comes from `lrs`. */
  train: instanceRefSchema.refine((r) => !("lr" in r.params), {
    message: "train.params must not set lr: the learning rates come from lrs",
  }),
  lrs: z.array(z.number().positive()).min(1).refine((a) => new Set(a).size === a.length, {
    message: "lrs must be distinct",
  }),
  /** Extension lrs beyond the grid's ends, nearest first (tried one at a time, on demand). */
  extend: z.strictObject({
    low: z.array(z.number().positive()),
    high: z.array(z.number().positive()),
  }).optional(),
}).superRefine((p, ctx) => {
  if (p.extend === undefined) return;
  const lo = Math.min(...p.lrs);
  const hi = Math.max(...p.lrs);
  p.extend.low.forEach((lr, i) => {
    if (!(lr < lo)) {
      ctx.addIssue({ code: "custom", path: ["extend", "low", i], message: `must be below ${lo}` });
    }
  });
  p.extend.high.forEach((lr, i) => {
    if (!(lr > hi)) {
      ctx.addIssue({ code: "custom", path: ["extend", "high", i], message: `must be above ${hi}` });
    }
  });
});

/** The on-demand input name of extension lr `i` on `side`. */
export function extensionInput(side: "low" | "high", i: number): string {
  return `ext_${side}_${i}`;
}

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
  onDemand: (p) =>
    Object.fromEntries(
      (["low", "high"] as const).flatMap((side) =>
        (p.extend?.[side] ?? []).map((lr, i) => [extensionInput(side, i), trainRefForLr(p, lr)])
      ),
    ),
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
  async run(ctx) {
    const p = ctx.params;
    const missing = missingFrom(ctx.failedInputs, "lr-run");
    const runs: RunResult[] = p.lrs.flatMap((_, i) =>
      `lr_${i}` in ctx.inputs ? [readRunResult(ctx.inputs[`lr_${i}`])] : []
    );
    if (runs.length === 0) {
      throw new Error(
        `every lr run failed: ${missing.map((m) => `${m.id}: ${m.reason}`).join("; ")}`,
      );
    }
    for (const m of missing) ctx.log(`lr run missing: ${m.id}: ${m.reason} (log ${m.log})`);
    const extended = await extendLrSearch(
      runs,
      { low: p.extend?.low ?? [], high: p.extend?.high ?? [] },
      async (side, i) => readRunResult(await ctx.obtain(extensionInput(side, i))),
    );
    const point = { ...extended, ...(missing.length > 0 ? { missing } : {}) };
    for (const r of point.runs) {
      ctx.log(`lr ${r.lr}: ${r.status} select ${r.metric}=${r.best?.select[r.metric] ?? "-"}`);
    }
    if (point.extended.length > 0) ctx.log(`edge extension added lrs ${point.extended}`);
    ctx.log(
      `best lr ${point.bestLr}: report ${point.metric}=${point.value}` +
        (point.lrEdge !== null ? ` (still at the ${point.lrEdge} edge)` : ""),
    );
    writePointResult(ctx.outDir, point);
  },
});
