/**
 * A sequence-classification graph with every parameter a graph input: the encoder and head of
 * `lib/models` under full training, for graph-level tests and benchmarks that open their own
 * sessions (no weights file, no export directory). Parameters are named canonically
 * (`embeddings.word_embeddings.weight`, …), batch inputs are `input_ids` and `attention_mask`
 * (int64; `token_type_ids` too when the config has several token types).
 *
 * @module
 */
import type { Graph, Tensor } from "../onnx/mod.ts";
import { Prng } from "../random/mod.ts";
import type { EncoderConfig } from "./config.ts";
import { encoder, type EncoderInputs, encoderInputs, type ParamSource } from "./encoder.ts";
import { seqClsHead } from "./heads.ts";
import { initTensor } from "./init.ts";
import { seqClsSpecs } from "./parameterize/common.ts";
import type { ParamSpec } from "./params.ts";

/** The shape of a small BERT classifier. */
export interface SmallBertShape {
  vocab: number;
  hidden: number;
  heads: number;
  intermediate: number;
  layers: number;
  maxPos: number;
  labels: number;
  /** LayerNorm epsilon (default 1e-12, as BERT). */
  eps?: number;
}

/** A BERT-family config of the given shape: one token type, no dropout, pad id 0. */
export function smallBertConfig(s: SmallBertShape): EncoderConfig {
  return {
    family: "bert",
    vocabSize: s.vocab,
    hiddenSize: s.hidden,
    numLayers: s.layers,
    numHeads: s.heads,
    intermediateSize: s.intermediate,
    maxPositions: s.maxPos,
    typeVocabSize: 1,
    layerNormEps: s.eps ?? 1e-12,
    padTokenId: 0,
    numLabels: s.labels,
    hiddenDropout: 0,
    attentionDropout: 0,
    classifierDropout: 0,
    initializerRange: 0.02,
  };
}

/** A built classifier graph. */
export interface ClassifierGraph {
  /** Parameter inputs by canonical name, in {@link ClassifierGraph.specs} order. */
  params: Map<string, Tensor>;
  specs: ParamSpec[];
  inputs: EncoderInputs;
  /** [batch, labels]. */
  logits: Tensor;
}

/** Options of {@link classifierGraph}. */
export interface ClassifierGraphOptions {
  batch?: number | string;
  seq: number | string;
  /** Hidden, attention and classifier dropout (training graphs; default 0). */
  dropout?: number;
  seed?: number;
}

/** Declares the parameters and batch inputs in `g` and builds the logits. */
export function classifierGraph(
  g: Graph,
  c: EncoderConfig,
  o: ClassifierGraphOptions,
): ClassifierGraph {
  const inputs = encoderInputs(g, c, o.batch ?? "B", o.seq);
  const specs = seqClsSpecs(c, c.numLabels);
  const params = new Map<string, Tensor>();
  for (const s of specs) params.set(s.name, g.input(s.name, "float32", s.shape));
  const src: ParamSource = {
    weight: (name) => {
      const t = params.get(name);
      if (!t) throw new Error(`classifier graph: no parameter "${name}"`);
      return t;
    },
  };
  const d = o.dropout ?? 0;
  const h = encoder(c, src, inputs, { hiddenDropout: d, attentionDropout: d, seed: o.seed }).last;
  const logits = seqClsHead(c, src, h, { dropout: d, seed: o.seed });
  return { params, specs, inputs, logits };
}

/** Initial values of every classifier parameter, as HF initialises them; deterministic in `seed`. */
export function initClassifier(c: EncoderConfig, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  seqClsSpecs(c, c.numLabels).forEach((s, i) => {
    out[s.name] = initTensor(s, c, new Prng(seed, i + 1));
  });
  return out;
}
