/**
 * Neural-network ops: Softmax, LogSoftmax, LayerNormalization, Gelu (erf and tanh forms),
 * Dropout (training mode, seeded or with a mask input) and SoftmaxCrossEntropyLoss — each
 * with its backward rule built from ordinary ops (ORT has no *Grad kernels).
 *
 * Ops without float64 CPU kernels (LayerNormalization, Gelu) are emitted as decomposed
 * forms in float64 but keep the same hand-written backward, so float64 gradient checks
 * test exactly the rule the float32 graphs use.
 *
 * @module
 */
import { customGrad } from "../custom.ts";
import { isFloat } from "../dtype.ts";
import { type Dim, f, GraphError, type Tensor } from "../graph.ts";
import {
  add,
  cast,
  div,
  equal,
  erf,
  exp,
  mul,
  reciprocal,
  sqrt,
  sub,
  tanh,
} from "./elementwise.ts";
import { reduceMean, reduceSum } from "./reduce.ts";
import { unsqueeze } from "./shape.ts";

function axisOf(op: string, x: Tensor, axis: number): number {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) throw new GraphError(op, `axis ${axis} out of range`, [x]);
  return a;
}

/** Softmax along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = axisOf("Softmax", x, axis);
  if (!isFloat(x.dtype)) throw new GraphError("Softmax", "expects floating-point input", [x]);
  const [y] = x.graph.node({
    op: "Softmax",
    inputs: [x],
    outputs: [{ dtype: x.dtype, shape: x.shape }],
    attrs: { axis: a },
  });
  y.producer!.backward = ([g]) => [
    g ? () => mul(y, sub(g, reduceSum(mul(g, y), [a], true))) : null,
  ];
  return y;
}

/** LogSoftmax along `axis`. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = axisOf("LogSoftmax", x, axis);
  const [y] = x.graph.node({
    op: "LogSoftmax",
    inputs: [x],
    outputs: [{ dtype: x.dtype, shape: x.shape }],
    attrs: { axis: a },
  });
  y.producer!.backward = ([g]) => [
    g ? () => sub(g, mul(exp(y), reduceSum(g, [a], true))) : null,
  ];
  return y;
}

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** First normalized axis (default −1: the last axis). */
  axis?: number;
  epsilon?: number;
}

/**
 * LayerNormalization over axes [axis, rank): y = (x − mean) · invstd · gamma + beta.
 * float32/float16 use ORT's fused kernel (with Mean/InvStdDev outputs); float64 is decomposed.
 */
export function layerNorm(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  opts: LayerNormOptions = {},
): Tensor {
  const a = axisOf("LayerNormalization", x, opts.axis ?? -1);
  const eps = opts.epsilon ?? 1e-5;
  const normShape = x.shape.slice(a);
  for (const p of [gamma, beta]) {
    if (p.rank !== normShape.length || p.shape.some((d, i) => d !== normShape[i])) {
      throw new GraphError(
        "LayerNormalization",
        `scale/bias must have shape [${normShape}] (x's axes from ${a})`,
        [x, p],
      );
    }
    if (p.dtype !== x.dtype) throw new GraphError("LayerNormalization", "dtypes differ", [x, p]);
  }
  const axes = normShape.map((_, i) => a + i);
  const statShape: Dim[] = x.shape.map((d, i) => (i < a ? d : 1));
  let y: Tensor, mean: Tensor, invstd: Tensor;
  if (x.dtype === "float64") {
    mean = reduceMean(x, axes, true);
    const xc = sub(x, mean);
    invstd = reciprocal(sqrt(add(reduceMean(mul(xc, xc), axes, true), eps)));
    y = add(mul(mul(xc, invstd), gamma), beta);
  } else {
    [y, mean, invstd] = x.graph.node({
      op: "LayerNormalization",
      inputs: [x, gamma, beta],
      outputs: [
        { dtype: x.dtype, shape: x.shape },
        { dtype: "float32", shape: statShape },
        { dtype: "float32", shape: statShape },
      ],
      attrs: { axis: a, epsilon: f(eps), stash_type: 1 },
    });
    if (x.dtype !== "float32") {
      mean = cast(mean, x.dtype);
      invstd = cast(invstd, x.dtype);
    }
  }
  const lead = x.shape.slice(0, a).map((_, i) => i);
  return customGrad([x, gamma, beta], () => y, ([gy]) => {
    if (!gy) return [null, null, null];
    let xhat: Tensor | undefined;
    const xh = () => (xhat ??= mul(sub(x, mean), invstd));
    return [
      () => {
        const dxh = mul(gy, gamma);
        const m1 = reduceMean(dxh, axes, true);
        const m2 = reduceMean(mul(dxh, xh()), axes, true);
        return mul(invstd, sub(sub(dxh, m1), mul(xh(), m2)));
      },
      () => (lead.length ? reduceSum(mul(gy, xh()), lead) : mul(gy, xh())),
      () => (lead.length ? reduceSum(gy, lead) : gy),
    ];
  }, "LayerNormalization")[0];
}

/**
 * GELU. `approximate: "none"` is x·Φ(x) (erf form), `"tanh"` the tanh approximation.
 * float32 uses ORT's Gelu kernel (opset 20); float64 is decomposed (tanh form only:
 * ORT CPU has no float64 Erf).
 */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (!isFloat(x.dtype)) throw new GraphError("Gelu", "expects floating-point input", [x]);
  const c = Math.sqrt(2 / Math.PI);
  let y: Tensor;
  if (x.dtype === "float64") {
    if (approximate === "none") {
      throw new GraphError("Gelu", "erf form has no float64 kernel in ORT CPU (no float64 Erf)", [
        x,
      ]);
    }
    y = mul(mul(x, 0.5), add(tanh(mul(add(x, mul(0.044715, mul(x, mul(x, x)))), c)), 1));
  } else {
    [y] = x.graph.node({
      op: "Gelu",
      inputs: [x],
      outputs: [{ dtype: x.dtype, shape: x.shape }],
      attrs: { approximate },
    });
  }
  return customGrad([x], () => y, ([g]) => {
    if (!g) return [null];
    return [() => {
      if (approximate === "tanh") {
        const x2 = mul(x, x);
        const t = tanh(mul(add(x, mul(x2, mul(x, 0.044715))), c));
        const dt = mul(sub(1, mul(t, t)), mul(add(1, mul(x2, 3 * 0.044715)), c));
        return mul(g, add(mul(add(t, 1), 0.5), mul(mul(x, 0.5), dt)));
      }
      const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return mul(g, add(cdf, mul(x, pdf)));
    }];
  }, "Gelu")[0];
}

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Drop probability. */
  ratio: number;
  /** false → identity (evaluation graphs). Default true. */
  training?: boolean;
  /**
   * A keep-mask input (bool, or float 0/1) broadcastable to x, e.g. made per step in JS from
   * a seeded PRNG (see `dropoutMask` in session.ts): deterministic and resumable.
   */
  mask?: Tensor;
  /**
   * Seed of ORT's own Dropout kernel (used when no mask is given). Its generator advances
   * every run, so masks differ step to step and repeat for a fresh session — but a session
   * restored from a checkpoint does not continue the same mask sequence.
   */
  seed?: number;
}

/** Inverted dropout: keep with probability 1−ratio and scale by 1/(1−ratio). */
export function dropout(x: Tensor, opts: DropoutOptions): Tensor {
  const { ratio } = opts;
  if (!(ratio >= 0 && ratio < 1)) {
    throw new GraphError("Dropout", `ratio ${ratio} not in [0, 1)`, [x]);
  }
  if (opts.training === false || ratio === 0) return x;
  const scale = 1 / (1 - ratio);
  if (opts.mask) {
    const m = opts.mask.dtype === "bool" ? cast(opts.mask, x.dtype) : opts.mask;
    return mul(x, mul(m, scale));
  }
  const g = x.graph;
  const [y, mask] = g.node({
    op: "Dropout",
    inputs: [x, g.scalar(ratio, x.dtype), g.constant(1, "bool")],
    outputs: [{ dtype: x.dtype, shape: x.shape }, { dtype: "bool", shape: x.shape }],
    attrs: opts.seed === undefined ? {} : { seed: opts.seed },
    diffInputs: [x],
  });
  y.producer!.backward = ([gy]) => [gy ? () => mul(gy, mul(cast(mask, x.dtype), scale)) : null];
  return y;
}

/** Options of {@link softmaxCrossEntropy}. */
export interface CrossEntropyOptions {
  reduction?: "mean" | "sum" | "none";
  /** Labels equal to this contribute nothing (and are not counted by "mean"). */
  ignoreIndex?: number;
}

/**
 * Softmax cross-entropy of logits [N, C] or [N, C, d1…] against int64 labels [N] / [N, d1…]
 * (class axis 1, as ONNX SoftmaxCrossEntropyLoss).
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  labels: Tensor,
  opts: CrossEntropyOptions = {},
): Tensor {
  const op = "SoftmaxCrossEntropyLoss";
  const red = opts.reduction ?? "mean";
  if (!isFloat(logits.dtype) || logits.rank < 2) {
    throw new GraphError(op, "logits must be floating-point [N, C, …]", [logits, labels]);
  }
  if (labels.dtype !== "int64" && labels.dtype !== "int32") {
    throw new GraphError(op, "labels must be int64 or int32", [logits, labels]);
  }
  const expect = [logits.shape[0], ...logits.shape.slice(2)];
  if (
    labels.rank !== expect.length ||
    labels.shape.some((d, i) =>
      d !== expect[i] && typeof d === "number" && typeof expect[i] === "number"
    )
  ) {
    throw new GraphError(op, `labels must have shape [${expect}]`, [logits, labels]);
  }
  const C = logits.shape[1];
  if (typeof C !== "number") throw new GraphError(op, "the class axis must be static", [logits]);
  const g = logits.graph;
  const lossShape = red === "none" ? labels.shape : [];
  const [loss, logp] = g.node({
    op,
    inputs: [logits, labels],
    outputs: [{ dtype: logits.dtype, shape: lossShape }, {
      dtype: logits.dtype,
      shape: logits.shape,
    }],
    attrs: {
      reduction: red,
      ...(opts.ignoreIndex === undefined ? {} : { ignore_index: opts.ignoreIndex }),
    },
    diffInputs: [logits],
  });
  loss.producer!.backward = ([gl]) => [
    gl
      ? () => {
        const classShape = logits.shape.map((_, i) => (i === 1 ? C : 1));
        const range = g.constant(
          Array.from({ length: C }, (_, i) => i),
          labels.dtype,
          classShape as number[],
        );
        const lab = unsqueeze(labels, [1]);
        const onehot = cast(equal(lab, range), logits.dtype);
        let w: Tensor | number = 1;
        if (opts.ignoreIndex !== undefined) {
          w = sub(1, cast(equal(lab, g.scalar(opts.ignoreIndex, labels.dtype)), logits.dtype));
        }
        let scale: Tensor;
        if (red === "none") scale = unsqueeze(gl, [1]);
        else if (red === "sum") scale = gl;
        else {
          const count = typeof w === "number"
            ? cast(sizeOfLabels(labels), logits.dtype)
            : reduceSum(w);
          scale = div(gl, count);
        }
        const ws = typeof w === "number" ? scale : mul(w, scale);
        return mul(sub(exp(logp), onehot), ws);
      }
      : null,
  ];
  return loss;
}

function sizeOfLabels(labels: Tensor): Tensor {
  const [s] = labels.graph.node({
    op: "Size",
    inputs: [labels],
    outputs: [{ dtype: "int64", shape: [] }],
  });
  return s;
}
