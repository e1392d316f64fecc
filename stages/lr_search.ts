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
 * Following (`follow`, the experiment's `lr_select: first-seed`): the point of a later seed does
 * no search of its own. Its one input is the first seed's point; every candidate lr (grid and
 * extension) is on demand, and only the lr that point chose is trained. The point records the
 * seed it took its lr from (`lrFrom`).
 *
 * @module
 */
import { z } from "zod";
import { defineStage, type InstanceRef, type StageContext } from "../lib/pipeline/stage.ts";
import { instanceRefSchema } from "../lib/refs/mod.ts";
import {
  missingFrom,
  POINT_FILE,
  readPointResult,
  readRunResult,
  type RunResult,
  sizeLabel,
  writePointResult,
} from "../lib/results/mod.ts";
import { extendLrSearch, pointFromRuns } from "../lib/train/mod.ts";

/** The parsed parameters of an `lr-search` instance. */
export type LrSearchParams = z.infer<typeof lrSearchParams>;

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
  /** The first seed's `lr-search` point: train only at the lr it chose. */
  follow: instanceRefSchema.optional(),
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

/** The train instances of the grid's lrs, `lr_<i>`. */
function gridInputs(p: LrSearchParams): Record<string, InstanceRef> {
  return Object.fromEntries(p.lrs.map((lr, i) => [`lr_${i}`, trainRefForLr(p, lr)]));
}

/** The train instances of the extension's lrs, `ext_<side>_<i>`. */
function extensionInputs(p: LrSearchParams): Record<string, InstanceRef> {
  return Object.fromEntries(
    (["low", "high"] as const).flatMap((side) =>
      (p.extend?.[side] ?? []).map((lr, i) => [extensionInput(side, i), trainRefForLr(p, lr)])
    ),
  );
}

/** The input (grid or extension) whose run has learning rate `lr`, or null if none. */
function inputOfLr(p: LrSearchParams, lr: number): string | null {
  const i = p.lrs.indexOf(lr);
  if (i >= 0) return `lr_${i}`;
  for (const side of ["low", "high"] as const) {
    const j = (p.extend?.[side] ?? []).indexOf(lr);
    if (j >= 0) return extensionInput(side, j);
  }
  return null;
}

/** A following point: the run of this seed at the lr the first seed's point chose. */
async function runFollowing(ctx: StageContext<LrSearchParams>): Promise<void> {
  const p = ctx.params;
  if (!("follow" in ctx.inputs)) {
    const m = missingFrom(ctx.failedInputs, "lr-search")[0];
    throw new Error(
      `the first seed's lr search failed, so this seed has no lr to train at` +
        (m ? `: ${m.id}: ${m.reason} (log ${m.log})` : ""),
    );
  }
  const chosen = readPointResult(ctx.inputs.follow);
  if (chosen.bestLr === null) {
    throw new Error(
      `the first seed's lr search (seed ${chosen.seed}) chose no lr: none of its runs finished ` +
        `with an evaluation (${chosen.runs.map((r) => `lr ${r.lr}: ${r.status}`).join(", ")})`,
    );
  }
  const input = inputOfLr(p, chosen.bestLr);
  if (input === null) {
    throw new Error(
      `the first seed's point chose lr ${chosen.bestLr}, which is not among this point's lrs ` +
        `(${[...p.lrs, ...(p.extend?.low ?? []), ...(p.extend?.high ?? [])].join(", ")})`,
    );
  }
  const run = readRunResult(await ctx.obtain(input));
  const point = { ...pointFromRuns([run]), lrs: [run.lr], extended: [], lrFrom: chosen.seed };
  ctx.log(
    `lr ${run.lr} (chosen by seed ${chosen.seed}): ${run.status} report ${point.metric}=` +
      `${point.value ?? "-"}`,
  );
  writePointResult(ctx.outDir, point);
}

/** The train instance of one lr. */
export function trainRefForLr(p: LrSearchParams, lr: number): InstanceRef {
  return { kind: p.train.kind, params: { ...p.train.params, lr } };
}

export const lrSearchStage = defineStage({
  kind: "lr-search",
  description: "best learning rate of one (method, size, seed) point, chosen on the select split",
  module: import.meta.url,
  params: lrSearchParams,
  inputs: (p) => p.follow ? { follow: p.follow } : gridInputs(p),
  onDemand: (p) => ({ ...(p.follow ? gridInputs(p) : {}), ...extensionInputs(p) }),
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
    if (p.follow) return await runFollowing(ctx);
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
