/**
 * Batched MatMul (numpy broadcasting over batch dims), Gemm-based weight gradients, and
 * `linear`: x @ w + b as one Gemm over the flattened leading axes, the bias added inside the
 * kernel (ORT fuses MatMul + Add into Gemm only for 2-D operands; a separate Add over the
 * activations costs a full read-write pass).
 *
 * @module
 */
import { type Dim, GraphError, isUnknown, type Tensor } from "../graph.ts";
import { broadcastShapes } from "./broadcast.ts";
import { add, unbroadcast } from "./elementwise.ts";
import { reduceSum } from "./reduce.ts";
import { concat, reshape, shapeOf, slice, squeeze, transposeLast2, unsqueeze } from "./shape.ts";

/** a @ b with numpy semantics (rank-1 operands are promoted and the axis dropped). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) {
    throw new GraphError("MatMul", "operands must have rank ≥ 1", [a, b]);
  }
  if (a.rank === 1) return squeeze(matmul(unsqueeze(a, [0]), b), [-2]);
  if (b.rank === 1) return squeeze(matmul(a, unsqueeze(b, [1])), [-1]);
  if (a.dtype !== b.dtype) throw new GraphError("MatMul", "operand dtypes differ", [a, b]);
  const k1 = a.shape[a.rank - 1], k2 = b.shape[b.rank - 2];
  if (!(k1 === k2 || isUnknown(k1) || isUnknown(k2))) {
    throw new GraphError(
      "MatMul",
      `inner dimensions differ: a's last axis is ${k1}, b's second-to-last is ${k2}`,
      [a, b],
    );
  }
  const batch = broadcastShapes("MatMul", [a, b], [a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  const shape: Dim[] = [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]];
  const [y] = a.graph.node({ op: "MatMul", inputs: [a, b], outputs: [{ dtype: a.dtype, shape }] });
  y.producer!.backward = ([g]) => [
    g
      ? () => (b.rank === 2 && a.rank === 2
        ? gemm(g, b, false, true)
        : unbroadcast(matmul(g, transposeLast2(b)), a))
      : null,
    g ? () => weightGrad(a, b, g) : null,
  ];
  return y;
}

/** dB for y = a @ b: one GEMM over the flattened batch when b is a 2-D weight. */
function weightGrad(a: Tensor, b: Tensor, g: Tensor): Tensor {
  const K = a.shape[a.rank - 1], N = g.shape[g.rank - 1];
  if (b.rank === 2 && typeof K === "number" && typeof N === "number") {
    const a2 = a.rank === 2 ? a : reshape(a, [-1, K]);
    const g2 = g.rank === 2 ? g : reshape(g, [-1, N]);
    return gemm(a2, g2, true, false);
  }
  return unbroadcast(matmul(transposeLast2(a), g), b);
}

/**
 * Gemm: op(a) @ op(b) (+ bias, a [N] row added to every output row). 2-D operands only.
 */
export function gemm(
  a: Tensor,
  b: Tensor,
  transA: boolean,
  transB: boolean,
  bias?: Tensor,
): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw new GraphError("Gemm", "operands must be 2-D", [a, b]);
  const M = transA ? a.shape[1] : a.shape[0];
  const N = transB ? b.shape[0] : b.shape[1];
  if (bias && (bias.rank !== 1 || bias.shape[0] !== N || bias.dtype !== a.dtype)) {
    throw new GraphError("Gemm", `bias must be [${N}] of ${a.dtype}`, [a, b, bias]);
  }
  const [y] = a.graph.node({
    op: "Gemm",
    inputs: bias ? [a, b, bias] : [a, b],
    outputs: [{ dtype: a.dtype, shape: [M, N] }],
    attrs: { transA: transA ? 1 : 0, transB: transB ? 1 : 0 },
  });
  y.producer!.backward = ([g]) => [
    g ? () => (transA ? gemm(b, g, transB, true) : gemm(g, b, false, !transB)) : null,
    g ? () => (transB ? gemm(g, a, true, transA) : gemm(a, g, !transA, false)) : null,
    ...(bias ? [g ? () => reduceSum(g, [0]) : null] : []),
  ];
  return y;
}

/**
 * x @ w + b, with w stored [in, out]. With a bias and x of rank ≥ 2 this is one Gemm over
 * x flattened to [rows, in] (the bias added in the kernel), reshaped back.
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  if (w.rank !== 2) throw new GraphError("linear", "weight must be 2-D [in, out]", [x, w]);
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[1])) {
    throw new GraphError("linear", `bias must be [${w.shape[1]}]`, [w, b]);
  }
  const K = w.shape[0], N = w.shape[1];
  if (!b || x.rank < 2 || typeof K !== "number" || typeof N !== "number" || b.dtype !== x.dtype) {
    const y = matmul(x, w);
    return b ? add(y, b) : y;
  }
  if (x.rank === 2) return gemm(x, w, false, false, b);
  return unflattenRows(gemm(reshape(x, [-1, K]), w, false, false, b), x);
}

/** y [rows, N] back to x's leading axes: [...x.shape[:-1], N]. */
function unflattenRows(y: Tensor, x: Tensor): Tensor {
  const N = y.shape[1] as number;
  const lead = x.shape.slice(0, -1);
  if (lead.every((d) => typeof d === "number")) return reshape(y, [...lead as number[], N]);
  const g = y.graph;
  const dims = concat([slice(shapeOf(x), [0], [x.rank - 1]), g.ints([N])], 0);
  const [out] = g.node({
    op: "Reshape",
    inputs: [y, dims],
    outputs: [{ dtype: y.dtype, shape: [...lead, N] }],
    diffInputs: [y],
  });
  out.producer!.backward = ([gy]) => [gy ? () => reshape(gy, [-1, N]) : null];
  return out;
}
