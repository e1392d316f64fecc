/**
 * A small BERT-style encoder classifier (word + position embeddings, LayerNorm, multi-head
 * self-attention with a padding mask, GELU feed-forward, post-LN residuals, tanh pooler on the
 * first token, classifier). Used by the torch-oracle test, the training test and the
 * benchmark; tests/oracle/make_fixtures.py builds the same model in PyTorch.
 *
 * @module
 */
import { Prng } from "../../random/prng.ts";
import type { Graph, Tensor } from "../graph.ts";
import { add, mul, sub, tanh } from "../ops/elementwise.ts";
import { linear, matmul } from "../ops/matmul.ts";
import { dropout, gelu, layerNorm, softmax } from "../ops/nn.ts";
import { gather, reshape, slice, transpose, unsqueeze } from "../ops/shape.ts";

/** Encoder hyper-parameters. */
export interface EncoderConfig {
  vocab: number;
  hidden: number;
  heads: number;
  intermediate: number;
  layers: number;
  maxPos: number;
  classes: number;
  eps: number;
  gelu?: "none" | "tanh";
}

/** Parameter names and shapes, in a fixed order (weights stored [in, out]). */
export function encoderParamShapes(c: EncoderConfig): [string, number[]][] {
  const H = c.hidden, I = c.intermediate;
  const out: [string, number[]][] = [
    ["emb.word", [c.vocab, H]],
    ["emb.pos", [c.maxPos, H]],
    ["emb.ln.g", [H]],
    ["emb.ln.b", [H]],
  ];
  for (let i = 0; i < c.layers; i++) {
    for (const n of ["q", "k", "v", "o"]) out.push([`l${i}.${n}.w`, [H, H]], [`l${i}.${n}.b`, [H]]);
    out.push([`l${i}.ln1.g`, [H]], [`l${i}.ln1.b`, [H]]);
    out.push([`l${i}.ff1.w`, [H, I]], [`l${i}.ff1.b`, [I]]);
    out.push([`l${i}.ff2.w`, [I, H]], [`l${i}.ff2.b`, [H]]);
    out.push([`l${i}.ln2.g`, [H]], [`l${i}.ln2.b`, [H]]);
  }
  out.push(["pool.w", [H, H]], ["pool.b", [H]], ["cls.w", [H, c.classes]], ["cls.b", [c.classes]]);
  return out;
}

/** Deterministic initial values (normal·0.02 weights, zero biases, unit LayerNorm). */
export function initEncoder(c: EncoderConfig, seed = 1): Record<string, Float32Array> {
  const rng = new Prng(seed);
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of encoderParamShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (name.endsWith(".g")) a.fill(1);
    else if (!name.endsWith(".b")) { for (let i = 0; i < n; i++) a[i] = rng.normal() * 0.02; }
    out[name] = a;
  }
  return out;
}

/** Per-call options of {@link encoderLogits}. */
export interface EncoderRunOptions {
  /** Dropout ratio (training graphs); masks are drawn by ORT's seeded Dropout kernel. */
  dropout?: number;
}

/**
 * Logits [B, classes] for token ids [B, S] (int64) and a float 0/1 attention mask [B, S].
 * S must be static (≤ maxPos); B may be symbolic.
 */
export function encoderLogits(
  g: Graph,
  c: EncoderConfig,
  p: Record<string, Tensor>,
  ids: Tensor,
  mask: Tensor,
  opts: EncoderRunOptions = {},
): Tensor {
  const S = ids.shape[1] as number;
  const H = c.hidden, nh = c.heads, dh = H / nh;
  const ln = (x: Tensor, pre: string) =>
    layerNorm(x, p[`${pre}.g`], p[`${pre}.b`], { epsilon: c.eps });
  const drop = (x: Tensor) => (opts.dropout ? dropout(x, { ratio: opts.dropout, seed: 7 }) : x);
  let x = add(gather(p["emb.word"], ids), slice(p["emb.pos"], [0], [S], [0]));
  x = drop(ln(x, "emb.ln"));
  const bias = unsqueeze(mul(sub(1, mask), -10000), [1, 2]);
  for (let i = 0; i < c.layers; i++) {
    const lin = (t: Tensor, n: string) => linear(t, p[`l${i}.${n}.w`], p[`l${i}.${n}.b`]);
    const heads = (t: Tensor, perm: number[]) => transpose(reshape(t, [0, 0, nh, dh]), perm);
    const q = heads(lin(x, "q"), [0, 2, 1, 3]);
    const k = heads(lin(x, "k"), [0, 2, 3, 1]);
    const v = heads(lin(x, "v"), [0, 2, 1, 3]);
    const att = drop(softmax(add(mul(matmul(q, k), 1 / Math.sqrt(dh)), bias), -1));
    const ctx = reshape(transpose(matmul(att, v), [0, 2, 1, 3]), [0, 0, H]);
    x = ln(add(x, drop(lin(ctx, "o"))), `l${i}.ln1`);
    const f = lin(gelu(lin(x, "ff1"), c.gelu ?? "none"), "ff2");
    x = ln(add(x, drop(f)), `l${i}.ln2`);
  }
  const first = gather(x, g.constant(0, "int64"), 1);
  const pooled = tanh(linear(first, p["pool.w"], p["pool.b"]));
  return linear(drop(pooled), p["cls.w"], p["cls.b"]);
}

/** Declare every encoder parameter as a float32 graph input; returns them by name. */
export function encoderInputs(g: Graph, c: EncoderConfig): Record<string, Tensor> {
  return Object.fromEntries(
    encoderParamShapes(c).map(([n, s]) => [n, g.input(n, "float32", s)]),
  );
}
