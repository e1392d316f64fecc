/**
 * Parameters of `delta-spectrum` and the instances it reads. One instance per (model, task,
 * seed): the full fine-tuning baseline's `lr-search` point and, per compared method (LoRA, DID),
 * the threshold and the sweep's grid points of this seed.
 *
 * Which run's weights are read is decided while the stage runs (the best lr of a point; the point
 * at r90 / d90), so the runs are on-demand inputs: every lr of every candidate point, as the
 * train instance of the sweep with `keepWeights: true` added. That is a distinct instance (its key
 * differs from the sweep's run by that one parameter, so no existing key changes): obtaining it
 * trains the chosen (method, size, lr, seed) once more, deterministically, keeping its weights.
 *
 * @module
 */
import { z } from "zod";
import { type InstanceRef, instanceRefSchema } from "../refs/mod.ts";
import type { Json } from "../hash/mod.ts";

/** A compared method's threshold and this seed's grid points. */
export const comparedSchema = z.strictObject({
  /** The `threshold` / `threshold-search` instance of (model, task, method). */
  threshold: instanceRefSchema,
  /** This seed's grid points: (size, `lr-search` instance). */
  points: z.array(z.strictObject({ size: z.number().positive(), point: instanceRefSchema }))
    .min(1),
});

/** `delta-spectrum` parameters. */
export const spectrumParamsSchema = z.strictObject({
  model: z.string().min(1),
  task: z.string().min(1),
  seed: z.number().int().min(0),
  /** The full fine-tuning baseline's `lr-search` point of this seed. */
  baseline: instanceRefSchema,
  lora: comparedSchema.optional(),
  did: comparedSchema.optional(),
});

/** Parsed `delta-spectrum` parameters. */
export type SpectrumParams = z.infer<typeof spectrumParamsSchema>;
/** A compared method. */
export type ComparedMethod = "lora" | "did";
/** The compared methods, in record order. */
export const COMPARED_METHODS: ComparedMethod[] = ["lora", "did"];

/**
 * The train instance of an `lr-search` reference and every lr its best may be: the grid, then
 * the edge extension's lrs (below, above), in a fixed order.
 */
function lrSearchOf(ref: InstanceRef): { train: InstanceRef; lrs: number[] } {
  const p = ref.params as {
    train?: InstanceRef;
    lrs?: number[];
    extend?: { low?: number[]; high?: number[] };
  };
  if (ref.kind !== "lr-search" || !p.train || !Array.isArray(p.lrs)) {
    throw new Error(`expected an lr-search instance, got a ${ref.kind} instance`);
  }
  return { train: p.train, lrs: [...p.lrs, ...(p.extend?.low ?? []), ...(p.extend?.high ?? [])] };
}

/** The train instance of `point` at `lr` that keeps its weights. */
export function keptRunRef(point: InstanceRef, lr: number): InstanceRef {
  const { train } = lrSearchOf(point);
  return { kind: train.kind, params: { ...train.params, lr, keepWeights: true } };
}

/** The exported-graphs instance of a point's runs. */
export function graphsRefOf(point: InstanceRef): InstanceRef {
  const g = lrSearchOf(point).train.params.graphs as unknown as InstanceRef | undefined;
  if (!g || typeof g.kind !== "string") throw new Error("lr-search train has no graphs instance");
  return g;
}

/** The model instance (its folder: config.json, weights.json, weights.bin) of a point's runs. */
export function modelRefOf(point: InstanceRef): InstanceRef {
  const m = graphsRefOf(point).params.model as unknown as InstanceRef | undefined;
  if (!m || typeof m.kind !== "string") throw new Error("export-graphs has no model instance");
  return m;
}

/** On-demand input names. */
export const inputName = {
  keptFull: (j: number) => `full_lr_${j}`,
  point: (m: ComparedMethod, i: number) => `${m}_point_${i}`,
  kept: (m: ComparedMethod, i: number, j: number) => `${m}_point_${i}_lr_${j}`,
  threshold: (m: ComparedMethod) => `${m}_threshold`,
};

/** The regular inputs: the model, the baseline point and the thresholds. */
export function spectrumInputs(p: SpectrumParams): Record<string, InstanceRef> {
  const out: Record<string, InstanceRef> = { model: modelRefOf(p.baseline), baseline: p.baseline };
  for (const m of COMPARED_METHODS) {
    const c = p[m];
    if (c) out[inputName.threshold(m)] = c.threshold;
  }
  return out;
}

/** The on-demand inputs: every lr's weight-keeping run of every candidate point. */
export function spectrumOnDemand(p: SpectrumParams): Record<string, InstanceRef> {
  const out: Record<string, InstanceRef> = {};
  lrSearchOf(p.baseline).lrs.forEach((lr, j) => {
    out[inputName.keptFull(j)] = keptRunRef(p.baseline, lr);
  });
  for (const m of COMPARED_METHODS) {
    p[m]?.points.forEach((g, i) => {
      out[inputName.point(m, i)] = g.point;
      lrSearchOf(g.point).lrs.forEach((lr, j) => {
        out[inputName.kept(m, i, j)] = keptRunRef(g.point, lr);
      });
    });
  }
  return out;
}

/** Every lr a point's best may be (grid, then edge extension), for the stage. */
export function lrsOf(point: InstanceRef): number[] {
  return lrSearchOf(point).lrs;
}

/** A reference as it goes into parameters. */
export function asJson(ref: InstanceRef): Json {
  return ref as unknown as Json;
}
