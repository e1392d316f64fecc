/**
 * What every parameterization shares: the list of tensors a sequence-classification graph
 * reads, θ0 (the weights file plus, when the checkpoint has no matching head, a seeded head),
 * and the trainable-state description.
 *
 * A parameterization is two functions: `trainables(m)` lists the trainable tensors with their
 * initial values (z = 0, λ = 1, LoRA A/B, copies of θ0), and `source(g, m, inputs)` returns the
 * ParamSource that maps every canonical parameter name to its effective tensor in graph `g`,
 * given the graph inputs that hold the trainable state.
 *
 * @module
 */
import type { Graph, Tensor } from "../../onnx/mod.ts";
import type { EncoderConfig } from "../config.ts";
import type { ParamSource } from "../encoder.ts";
import type { FastfoodStore } from "../fastfood.ts";
import { initTensor } from "../init.ts";
import { encoderParams, numel, type ParamSpec, seqClsHeadParams, usesPooler } from "../params.ts";
import { Prng } from "../../random/mod.ts";
import { readWeightsTensor, type WeightsIndex } from "../weights_file.ts";
import { frozenSource } from "./frozen.ts";

/** One trainable tensor: graph input name, shape, and initial value. */
export interface Trainable {
  name: string;
  shape: number[];
  init: Float32Array;
}

/** The model a parameterization works on. */
export interface ModelContext {
  config: EncoderConfig;
  /** Directory holding weights.bin / weights.json. */
  dir: string;
  index: WeightsIndex;
  numLabels: number;
  /** Every tensor the seqcls graph reads, in a fixed order (the order of Fastfood streams). */
  specs: ParamSpec[];
  /** θ0 values not in the weights file (a freshly initialised head), by canonical name. */
  extra: Map<string, { shape: number[]; data: Float32Array }>;
  /** Where Fastfood constants go (DID/SAID). */
  store?: FastfoodStore;
}

/** A parameterization (full, DID, SAID, LoRA). */
export interface Parameterization {
  trainables(m: ModelContext): Trainable[];
  source(g: Graph, m: ModelContext, inputs: Map<string, Tensor>): ParamSource;
}

/** The tensors a sequence-classification graph reads (RoBERTa's unused pooler left out). */
export function seqClsSpecs(c: EncoderConfig, numLabels: number): ParamSpec[] {
  return [...encoderParams(c, usesPooler(c.family)), ...seqClsHeadParams(c, numLabels)];
}

/**
 * Builds the model context: when the weights file lacks a head of `numLabels` labels, the head
 * is initialised here (N(0, initializer_range²) weights, zero biases, `Prng(headSeed, 9000 + i)`).
 */
export function modelContext(
  config: EncoderConfig,
  dir: string,
  index: WeightsIndex,
  numLabels: number,
  headSeed: number,
): ModelContext {
  const specs = seqClsSpecs(config, numLabels);
  const extra = new Map<string, { shape: number[]; data: Float32Array }>();
  const head = seqClsHeadParams(config, numLabels);
  const have = head.every((s) => index.tensors[s.name]?.shape.join() === s.shape.join());
  if (!have) {
    head.forEach((s, i) => {
      extra.set(s.name, {
        shape: s.shape,
        data: initTensor(s, config, new Prng(headSeed, 9000 + i)),
      });
    });
  }
  for (const s of specs) {
    if (!extra.has(s.name) && index.tensors[s.name]?.shape.join() !== s.shape.join()) {
      throw new Error(
        `${dir}/weights.json: tensor "${s.name}" missing or not of shape [${s.shape}]`,
      );
    }
  }
  return { config, dir, index, numLabels, specs, extra };
}

/** θ0 of one tensor as a JS array (from the weights file or the fresh head). */
export function theta0(m: ModelContext, name: string): Float32Array {
  const e = m.extra.get(name);
  return e ? e.data.slice() : readWeightsTensor(m.dir, m.index, name);
}

/** θ0 as graph initializers (external data into weights.bin; the fresh head embedded). */
export function frozen(g: Graph, m: ModelContext): ParamSource {
  return frozenSource(g, m.index, { extra: m.extra });
}

/** Total number of trainable scalars. */
export function trainableCount(ts: Trainable[]): number {
  return ts.reduce((s, t) => s + numel(t.shape), 0);
}

/** The input tensor of a trainable, or an error naming it. */
export function inputOf(inputs: Map<string, Tensor>, name: string): Tensor {
  const t = inputs.get(name);
  if (!t) throw new Error(`parameterization: trainable input "${name}" was not declared`);
  return t;
}
