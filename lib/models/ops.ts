/**
 * The ops the model graphs use, re-exported from `lib/onnx` in one place, plus the few
 * model-level compositions that `lib/onnx` does not (yet) provide, written from its
 * differentiable primitives (so autodiff covers them without hand-written backward rules,
 * except where noted). See `NEEDS_FROM_ONNX.md`.
 *
 * @module
 */
import type { Tensor } from "../onnx/graph.ts";
import {
  add,
  cast,
  div,
  equal,
  erf,
  exp,
  mul,
  not,
  sqrt,
  stopGradient,
  sub,
  tanh,
} from "../onnx/ops/elementwise.ts";
import { matmul } from "../onnx/ops/matmul.ts";
import {
  dropout as onnxDropout,
  gelu as onnxGelu,
  layerNorm as onnxLayerNorm,
  softmax,
  softmaxCrossEntropy,
} from "../onnx/ops/nn.ts";
import { wht } from "../onnx/ops/wht.ts";
import { reduceMean, reduceSum } from "../onnx/ops/reduce.ts";
import {
  concat,
  expand,
  gather,
  gatherElements,
  reshape,
  shapeOf,
  slice,
  transpose,
  unsqueeze,
} from "../onnx/ops/shape.ts";

export {
  add,
  cast,
  concat,
  div,
  equal,
  erf,
  exp,
  gather,
  gatherElements,
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
  sqrt,
  stopGradient,
  sub,
  tanh,
  transpose,
  unsqueeze,
  wht,
};

/** LayerNorm over the last axis with epsilon `eps` (ORT's fused kernel, custom backward). */
export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  return onnxLayerNorm(x, w, b, { epsilon: eps });
}

/** GELU, erf form: x · Φ(x). */
export function gelu(x: Tensor): Tensor {
  return onnxGelu(x, "none");
}

/** Inclusive cumulative sum of an integer tensor along `axis` (no gradient). */
export function cumsum(x: Tensor, axis: number): Tensor {
  const g = x.graph;
  const [y] = g.node({
    op: "CumSum",
    inputs: [x, g.scalar(axis, "int64")],
    outputs: [{ dtype: x.dtype, shape: x.shape }],
    noGradReason: "CumSum of integer position ids",
  });
  return y;
}

/** Inverted dropout for training graphs (ORT's Dropout kernel, seeded). */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  return onnxDropout(x, { ratio: p, seed });
}

/** Rows of h [B, S, H] at positions [B, P] (int64) → [B, P, H]. */
export function gatherElementsRows(h: Tensor, positions: Tensor): Tensor {
  const idx = expand(
    unsqueeze(positions, [2]),
    concat([shapeOf(positions), slice(shapeOf(h), [2], [3])], 0),
  );
  return gatherElements(h, idx, 1);
}

/** Whether `x` is `pad`: bool mask (used for RoBERTa position ids). */
export function isNot(x: Tensor, value: number): Tensor {
  return not(equal(x, x.graph.scalar(value, x.dtype)));
}
