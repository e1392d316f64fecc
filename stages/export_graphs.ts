/**
 * Stage `export-graphs`: one model artifact (from `download-model` or a pretraining stage) →
 * the training and evaluation graphs of one (method, size, batch, seq, labels, optimizer)
 * configuration, with the initial trainable state and `graph.json` (see `lib/models/export.ts`).
 *
 * The model's `weights.bin` is hard-linked into the output directory (no copy: the store keeps
 * content-addressed blobs), so both graphs' external data resolves relative to their own
 * directory and ONNX Runtime memory-maps θ0. Before building, the peak training memory is
 * estimated; a configuration that does not fit fails at once with the numbers.
 *
 * @module
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { exportGraphs } from "../lib/models/mod.ts";
import { defineStage, type Json } from "../lib/pipeline/stage.ts";

const Optimizer = z.object({
  type: z.enum(["adam", "adamw", "sgd"]).default("adamw"),
  lr: z.number().positive().default(1e-3),
  beta1: z.number().optional(),
  beta2: z.number().optional(),
  eps: z.number().optional(),
  weightDecay: z.number().optional(),
  clipNorm: z.number().optional(),
  schedule: z.object({ warmupSteps: z.number().int(), totalSteps: z.number().int() }).optional(),
});

const Params = z.object({
  /** The upstream model instance: its kind (default `download-model`) and parameters. */
  model: z.object({
    kind: z.string().default("download-model"),
    params: z.record(z.string(), z.unknown()),
  }),
  method: z.enum(["full", "did", "said", "lora"]),
  /** d (DID/SAID) or r (LoRA); ignored for full. */
  size: z.number().int().positive().optional(),
  batch: z.number().int().positive(),
  seq: z.number().int().positive(),
  numLabels: z.number().int().positive().default(2),
  optimizer: Optimizer.default({ type: "adamw", lr: 1e-3 }),
  seed: z.number().int().default(0),
  projection: z.enum(["per-tensor", "global"]).default("per-tensor"),
  lambdaPer: z.enum(["tensor", "layer"]).default("tensor"),
  /** LoRA α: required for `lora` (the planner passes `experiment.lora.alpha`, default 16). */
  loraAlpha: z.number().positive().optional(),
  loraTargets: z.array(z.string()).default(["query", "value"]),
  rslora: z.boolean().default(false),
  dropout: z.number().min(0).max(0.9).default(0),
  task: z.enum(["seqcls", "mlm"]).default("seqcls"),
  maskedPositions: z.number().int().positive().optional(),
}).refine((p) => p.method !== "lora" || p.loraAlpha !== undefined, {
  message: "method lora needs loraAlpha (experiment.lora.alpha)",
  path: ["loraAlpha"],
});

/** The parsed parameters of `export-graphs`. */
export type ExportGraphsParams = z.infer<typeof Params>;

export default defineStage({
  kind: "export-graphs",
  description: "Compile training and evaluation ONNX graphs for one model, method and size",
  module: import.meta.url,
  params: Params,
  inputs: (p) => ({
    model: { kind: p.model.kind, params: p.model.params as Record<string, Json> },
  }),
  outputs: (p) => [
    "train.onnx",
    "train.onnx.json",
    "eval.onnx",
    "eval.onnx.json",
    "init_state.bin",
    "init_state.json",
    "graph.json",
    "weights.bin",
    "config.json",
    ...(p.method === "did" || p.method === "said" ? ["fastfood.bin"] : []),
  ],
  resources: () => ({ cpus: 1 }),
  label: (p) =>
    `${String(p.model.params.name ?? "model")} ${p.method}${p.size ? ` ${p.size}` : ""} ` +
    `b${p.batch}×${p.seq}`,
  run(ctx) {
    const p = ctx.params;
    const modelDir = ctx.inputs.model;
    if (p.method !== "full" && p.size === undefined) {
      throw new Error(`export-graphs: method ${p.method} needs "size" (d or r)`);
    }
    ctx.log(`exporting ${p.method} size ${p.size ?? "-"} from ${modelDir}`);
    const meta = exportGraphs(modelDir, ctx.outDir, {
      ...p,
      modelName: String(p.model.params.name ?? modelDir),
    });
    copyFileSync(join(modelDir, "config.json"), join(ctx.outDir, "config.json"));
    ctx.log(`trainable parameters: ${meta.trainableCount}`);
    return Promise.resolve();
  },
});
