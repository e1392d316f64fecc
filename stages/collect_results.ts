/**
 * `collect-results`: gathers thresholds, points (with every lr's run) and provenance (instance
 * keys, selection policy) into one directory for the plots and the report: `results.json` plus
 * flat `runs.csv`, `points.csv` and `thresholds.csv`.
 *
 * @module
 */
import * as path from "node:path";
import { z } from "zod";
import { defineStage } from "../lib/pipeline/stage.ts";
import type { PointResult, RunResult, ThresholdResult } from "../lib/results/types.ts";
import { POINT_FILE, THRESHOLD_FILE } from "../lib/threshold/sweep_params.ts";
import { instanceRefSchema } from "../lib/train/run_config.ts";
import { writeJsonAtomic } from "../lib/train/run_stage.ts";
import { EVAL_POLICY } from "../lib/train/select.ts";
import { completeProvenance, provenanceParamsSchema } from "../lib/report/provenance_params.ts";

/** The files `collect-results` writes. */
export const COLLECT_FILES = [
  "results.json",
  "provenance.json",
  "runs.csv",
  "points.csv",
  "thresholds.csv",
];

/** Everything the report needs, in one document. */
export interface CollectedResults {
  policy: string;
  thresholds: (ThresholdResult & { key: string | null })[];
  points: (PointResult & { key: string | null })[];
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Renders rows as CSV with the given columns. */
export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  return [columns.join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))]
    .join("\n") + "\n";
}

const RUN_COLUMNS = [
  "model",
  "task",
  "method",
  "size",
  "lr",
  "seed",
  "status",
  "reason",
  "metric",
  "best_step",
  "select",
  "report",
  "steps",
  "trainable_params",
  "wall_seconds",
  "samples_per_second",
  "provider",
  "key",
];

function runRow(r: RunResult): Record<string, unknown> {
  return {
    model: r.model,
    task: r.task,
    method: r.method,
    size: r.size,
    lr: r.lr,
    seed: r.seed,
    status: r.status,
    reason: r.reason,
    metric: r.metric,
    best_step: r.best?.step,
    select: r.best?.select[r.metric],
    report: r.best?.report[r.metric],
    steps: r.steps,
    trainable_params: r.trainableParams,
    wall_seconds: r.wallSeconds,
    samples_per_second: r.samplesPerSecond,
    provider: r.provider,
    key: r.key,
  };
}

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
    const read = <T>(dir: string, file: string): T =>
      JSON.parse(Deno.readTextFileSync(path.join(dir, file))) as T;
    const thresholds = p.thresholds.map((_, i) => {
      const name = `threshold_${i}`;
      return {
        ...read<ThresholdResult>(ctx.inputs[name], THRESHOLD_FILE),
        key: ctx.inputKeys[name],
      };
    });
    const points = p.points.map((_, i) => {
      const name = `point_${i}`;
      return { ...read<PointResult>(ctx.inputs[name], POINT_FILE), key: ctx.inputKeys[name] };
    });
    const doc: CollectedResults = { policy: EVAL_POLICY, thresholds, points };
    writeJsonAtomic(path.join(ctx.outDir, "results.json"), doc);
    const runs = points.flatMap((pt) => pt.runs.map(runRow));
    Deno.writeTextFileSync(path.join(ctx.outDir, "runs.csv"), toCsv(RUN_COLUMNS, runs));
    Deno.writeTextFileSync(
      path.join(ctx.outDir, "points.csv"),
      toCsv(
        [
          "model",
          "task",
          "method",
          "size",
          "seed",
          "metric",
          "value",
          "bestLr",
          "selectValue",
          "key",
        ],
        points as unknown as Record<string, unknown>[],
      ),
    );
    Deno.writeTextFileSync(
      path.join(ctx.outDir, "thresholds.csv"),
      toCsv(
        [
          "model",
          "task",
          "method",
          "metric",
          "baseline",
          "baselineSource",
          "fraction",
          "target",
          "value",
          "interpolated",
          "spread",
          "search",
          "runsUsed",
          "runsSaved",
          "modelParams",
          "key",
        ],
        thresholds as unknown as Record<string, unknown>[],
      ),
    );
    const instances = [
      ...thresholds.map((t) => ({
        kind: "threshold",
        label: `${t.model} ${t.task} ${t.method}`,
        key: t.key ?? "",
      })),
      ...points.map((pt) => ({
        kind: "lr-search",
        label: `${pt.model} ${pt.task} ${pt.method}${
          pt.size === null ? "" : ` ${pt.size}`
        } seed ${pt.seed}`,
        key: pt.key ?? "",
      })),
      ...points.flatMap((pt) =>
        pt.runs.map((r) => ({
          kind: `train-${r.method === "full" ? "full" : r.method === "lora" ? "lora" : "subspace"}`,
          label: `${r.model} ${r.task} ${r.method}${
            r.size === null ? "" : ` ${r.size}`
          } lr ${r.lr} seed ${r.seed}`,
          key: r.key ?? "",
        }))
      ),
    ];
    const given = p.provenance ?? {
      config: { path: "not recorded", text: "" },
      evaluationPolicy: {
        selectSplit: "select",
        reportSplit: "report",
        lrSelection: EVAL_POLICY,
        seeds: "not recorded",
      },
      referenceBaselines: [],
    };
    const provenance = await completeProvenance(
      given,
      instances,
      points.flatMap((pt) => pt.runs.map((r) => r.provider)).filter((x) => !!x),
      ctx.projectRoot,
    );
    writeJsonAtomic(path.join(ctx.outDir, "provenance.json"), provenance);
    ctx.log(
      `collected ${thresholds.length} thresholds, ${points.length} points, ${runs.length} runs`,
    );
  },
});
