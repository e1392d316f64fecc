/**
 * The BERT/RoBERTa encoder as an ONNX graph, built on `lib/onnx` (so it is differentiable).
 *
 * One encoder for both families, as HF's BertModel / RobertaModel compute it (eval, or train
 * with dropout 0):
 *
 *   pos   = BERT: 0..S−1;  RoBERTa: cumsum(m)·m + pad, m = (input_ids ≠ pad)
 *   h0    = LayerNorm(E_word[ids] + E_pos[pos] + E_type[type_ids])
 *   per layer: a = LayerNorm(h + Attn(h)·Wo + bo);  h' = LayerNorm(a + GELU(a·W1 + b1)·W2 + b2)
 *   Attn  = softmax(q kᵀ / sqrt(dh) + (1 − mask)·(−1e9)) v, per head
 *
 * Weights come from a {@link ParamSource}: each parameterization (full, DID, SAID, LoRA) decides
 * what tensor stands for each canonical parameter name (`params.ts`), and may override how a
 * Linear is applied (LoRA adds its low-rank path there).
 *
 * @module
 */
import type { Graph, Tensor } from "../onnx/mod.ts";
import type { EncoderConfig } from "./config.ts";
import {
  add,
  cast,
  cumsum,
  div,
  dropout,
  equal,
  gather,
  gelu,
  layerNorm,
  linearOp,
  matmul,
  mul,
  not,
  reshape,
  softmax,
  sub,
  transpose,
} from "./ops.ts";

/** Supplies the (effective) weight tensors a model graph reads. */
export interface ParamSource {
  /** The tensor for a canonical parameter name, in stored layout (Linear `[in, out]`). */
  weight(name: string): Tensor;
  /** Optional override of `x · W + b` for the Linear `prefix` (e.g. LoRA); undefined = default. */
  linear?(prefix: string, x: Tensor): Tensor | undefined;
}

/** The encoder's graph inputs. */
export interface EncoderInputs {
  /** int64 [B, S]. */
  inputIds: Tensor;
  /** int64 [B, S], 1 = real token. */
  attentionMask: Tensor;
  /** int64 [B, S]; omitted when the model has one token type (RoBERTa). */
  tokenTypeIds?: Tensor;
}

/** Options of the encoder and heads. */
export interface EncoderOptions {
  /** Dropout probabilities for training graphs (0 or undefined = none, as in eval). */
  hiddenDropout?: number;
  attentionDropout?: number;
  /** Seed for dropout masks. */
  seed?: number;
}

/** The encoder's outputs: every hidden state (embedding output first) and the last. */
export interface EncoderOutputs {
  hiddenStates: Tensor[];
  last: Tensor;
}

/** `x · W + b` for Linear `prefix`, or the source's override. */
export function linear(src: ParamSource, prefix: string, x: Tensor): Tensor {
  const o = src.linear?.(prefix, x);
  if (o) return o;
  return linearOp(x, src.weight(`${prefix}.weight`), src.weight(`${prefix}.bias`));
}

/** LayerNorm over the last axis with the parameters `prefix.weight` / `prefix.bias`. */
export function layerNormP(src: ParamSource, prefix: string, x: Tensor, eps: number): Tensor {
  return layerNorm(x, src.weight(`${prefix}.weight`), src.weight(`${prefix}.bias`), eps);
}

function drop(x: Tensor, p: number | undefined, seed: number | undefined): Tensor {
  return p && p > 0 ? dropout(x, p, seed ?? 0) : x;
}

/** Position ids: BERT 0..S−1; RoBERTa cumsum(m)·m + pad with m = (ids ≠ pad). int64 [B, S]. */
export function positionIds(c: EncoderConfig, ids: Tensor): Tensor {
  const g = ids.graph;
  if (c.family === "bert") {
    const ones = add(mul(ids, g.scalar(0, "int64")), g.scalar(1, "int64"));
    return sub(cumsum(ones, 1), g.scalar(1, "int64"));
  }
  const m = cast(not(equal(ids, g.scalar(c.padTokenId, "int64"))), "int64");
  return add(mul(cumsum(m, 1), m), g.scalar(c.padTokenId, "int64"));
}

/** The additive attention mask [B, 1, 1, S]: 0 for tokens, −1e9 for padding. */
export function additiveMask(mask: Tensor): Tensor {
  const g = mask.graph;
  const m = reshape(cast(mask, "float32"), [0, 1, 1, -1]);
  return mul(sub(g.scalar(1), m), g.scalar(-1e9));
}

/** The embedding block: word + position + token type, then LayerNorm. [B, S, H]. */
export function embeddings(
  c: EncoderConfig,
  src: ParamSource,
  inp: EncoderInputs,
  opts: EncoderOptions = {},
): Tensor {
  const word = gather(src.weight("embeddings.word_embeddings.weight"), inp.inputIds, 0);
  const pos = gather(
    src.weight("embeddings.position_embeddings.weight"),
    positionIds(c, inp.inputIds),
    0,
  );
  const tt = src.weight("embeddings.token_type_embeddings.weight");
  const type = inp.tokenTypeIds ? gather(tt, inp.tokenTypeIds, 0) : reshape(tt, [1, 1, -1]);
  const sum = add(add(word, pos), type);
  const h = layerNormP(src, "embeddings.LayerNorm", sum, c.layerNormEps);
  return drop(h, opts.hiddenDropout, opts.seed);
}

/** Multi-head self-attention of layer `i` (without the output projection). [B, S, H]. */
function selfAttention(
  c: EncoderConfig,
  src: ParamSource,
  i: number,
  h: Tensor,
  mask: Tensor,
  opts: EncoderOptions,
): Tensor {
  const p = `encoder.layer.${i}.attention.self`;
  const nh = c.numHeads, dh = c.hiddenSize / c.numHeads;
  const heads = (x: Tensor) => reshape(x, [0, 0, nh, dh]);
  const q = transpose(heads(linear(src, `${p}.query`, h)), [0, 2, 1, 3]);
  const kT = transpose(heads(linear(src, `${p}.key`, h)), [0, 2, 3, 1]);
  const v = transpose(heads(linear(src, `${p}.value`, h)), [0, 2, 1, 3]);
  const scores = add(div(matmul(q, kT), h.graph.scalar(Math.sqrt(dh))), mask);
  const probs = drop(softmax(scores, -1), opts.attentionDropout, seedOf(opts, 1000 + i));
  const ctx = transpose(matmul(probs, v), [0, 2, 1, 3]);
  return reshape(ctx, [0, 0, c.hiddenSize]);
}

function seedOf(opts: EncoderOptions, k: number): number {
  return (opts.seed ?? 0) * 7919 + k;
}

/** One transformer layer (post-LayerNorm). */
export function encoderLayer(
  c: EncoderConfig,
  src: ParamSource,
  i: number,
  h: Tensor,
  mask: Tensor,
  opts: EncoderOptions = {},
): Tensor {
  const p = `encoder.layer.${i}`;
  const attn = linear(src, `${p}.attention.output.dense`, selfAttention(c, src, i, h, mask, opts));
  const a = layerNormP(
    src,
    `${p}.attention.output.LayerNorm`,
    add(drop(attn, opts.hiddenDropout, seedOf(opts, 2000 + i)), h),
    c.layerNormEps,
  );
  const inter = gelu(linear(src, `${p}.intermediate.dense`, a));
  const out = linear(src, `${p}.output.dense`, inter);
  return layerNormP(
    src,
    `${p}.output.LayerNorm`,
    add(drop(out, opts.hiddenDropout, seedOf(opts, 3000 + i)), a),
    c.layerNormEps,
  );
}

/** The whole encoder: embeddings and every layer. */
export function encoder(
  c: EncoderConfig,
  src: ParamSource,
  inp: EncoderInputs,
  opts: EncoderOptions = {},
): EncoderOutputs {
  const mask = additiveMask(inp.attentionMask);
  let h = embeddings(c, src, inp, opts);
  const hiddenStates = [h];
  for (let i = 0; i < c.numLayers; i++) {
    h = encoderLayer(c, src, i, h, mask, opts);
    hiddenStates.push(h);
  }
  return { hiddenStates, last: h };
}

/** Declares the encoder's graph inputs (`input_ids`, `attention_mask`, `token_type_ids`). */
export function encoderInputs(
  g: Graph,
  c: EncoderConfig,
  batch: number | string = "B",
  seq: number | string = "S",
): EncoderInputs {
  const inputIds = g.input("input_ids", "int64", [batch, seq]);
  const attentionMask = g.input("attention_mask", "int64", [batch, seq]);
  const tokenTypeIds = c.typeVocabSize > 1
    ? g.input("token_type_ids", "int64", [batch, seq])
    : undefined;
  return { inputIds, attentionMask, tokenTypeIds };
}
