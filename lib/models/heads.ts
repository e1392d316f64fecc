/**
 * Heads on top of the encoder, exactly as Hugging Face computes them:
 *
 * - BERT pooler: tanh(h[:, 0] · Wp + bp); `BertForSequenceClassification`: dropout, then
 *   `classifier` (Linear H → labels) on the pooled output.
 * - `RobertaForSequenceClassification`: x = h[:, 0]; dropout; tanh(x · W + b) (`classifier.dense`);
 *   dropout; `classifier.out_proj`.
 * - MLM (BertForMaskedLM / RobertaForMaskedLM): transform dense + GELU + LayerNorm, then a
 *   decoder tied to the word embeddings plus a bias. It can be evaluated at gathered positions
 *   only (`positions`, int64 [B, P]) so a 30k–50k-vocabulary decoder stays cheap.
 *
 * @module
 */
import type { Tensor } from "../onnx/mod.ts";
import type { EncoderConfig } from "./config.ts";
import { layerNormP, linear, type ParamSource } from "./encoder.ts";
import {
  add,
  dropout,
  gatherElementsRows,
  gelu,
  matmul,
  reshape,
  slice,
  tanh,
  transpose,
} from "./ops.ts";

/** The first token's hidden state, [B, H]. */
export function firstToken(h: Tensor): Tensor {
  return reshape(slice(h, [0], [1], [1]), [0, -1]);
}

/** BERT pooler output, [B, H]. */
export function pooler(src: ParamSource, h: Tensor): Tensor {
  return tanh(linear(src, "pooler.dense", firstToken(h)));
}

/** Sequence-classification logits [B, labels] for either family. */
export function seqClsHead(
  c: EncoderConfig,
  src: ParamSource,
  h: Tensor,
  opts: { dropout?: number; seed?: number } = {},
): Tensor {
  const drop = (x: Tensor, k: number) =>
    opts.dropout && opts.dropout > 0 ? dropout(x, opts.dropout, (opts.seed ?? 0) * 7919 + k) : x;
  if (c.family === "bert") return linear(src, "classifier", drop(pooler(src, h), 5001));
  const x = tanh(linear(src, "classifier.dense", drop(firstToken(h), 5002)));
  return linear(src, "classifier.out_proj", drop(x, 5003));
}

/** MLM head parameter prefixes per family. */
function mlmNames(c: EncoderConfig) {
  return c.family === "bert"
    ? {
      dense: "cls.predictions.transform.dense",
      ln: "cls.predictions.transform.LayerNorm",
      bias: "cls.predictions.bias",
    }
    : { dense: "lm_head.dense", ln: "lm_head.layer_norm", bias: "lm_head.bias" };
}

/**
 * MLM logits. With `positions` (int64 [B, P]) only those positions are decoded: [B, P, vocab];
 * without, every position: [B, S, vocab].
 */
export function mlmHead(c: EncoderConfig, src: ParamSource, h: Tensor, positions?: Tensor): Tensor {
  const n = mlmNames(c);
  const x = positions ? gatherElementsRows(h, positions) : h;
  const t = layerNormP(src, n.ln, gelu(linear(src, n.dense, x)), c.layerNormEps);
  const emb = src.weight("embeddings.word_embeddings.weight");
  return add(matmul(t, transpose(emb, [1, 0])), src.weight(n.bias));
}
