/**
 * The ops the model graphs use, re-exported from `lib/onnx` in one place, plus the model-level
 * defaults of a few of them (erf GELU, LayerNorm epsilon, seeded dropout, a padding mask).
 *
 * @module
 */
import {
  dropout as onnxDropout,
  equal,
  gelu as onnxGelu,
  layerNorm as onnxLayerNorm,
  not,
  type Tensor,
} from "../onnx/mod.ts";

export {
  add,
  cast,
  concat,
  cumsum,
  div,
  equal,
  erf,
  exp,
  gather,
  gatherElements,
  gatherElementsRows,
  gatherTiled,
  linear as linearOp,
  matmul,
  mul,
  not,
  reduceMean,
  reduceSum,
  reshape,
  shapeOf,
  slice,
  softmax,
  softmaxCrossEntropy,
  split,
  sqrt,
  stopGradient,
  sub,
  tanh,
  transpose,
  unsqueeze,
  wht,
} from "../onnx/mod.ts";

/** LayerNorm over the last axis with epsilon `eps` (ORT's fused kernel, custom backward). */
export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  return onnxLayerNorm(x, w, b, { epsilon: eps });
}

/** GELU, erf form: x · Φ(x). */
export function gelu(x: Tensor): Tensor {
  return onnxGelu(x, "none");
}

/** Inverted dropout for training graphs (ORT's Dropout kernel, seeded). */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  return onnxDropout(x, { ratio: p, seed });
}

/** Whether `x` is `pad`: bool mask (used for RoBERTa position ids). */
export function isNot(x: Tensor, value: number): Tensor {
  return not(equal(x, x.graph.scalar(value, x.dtype)));
}
