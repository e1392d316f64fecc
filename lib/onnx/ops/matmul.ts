/**
 * Batched MatMul (numpy broadcasting over batch dims), Gemm-based weight gradients, and
 * `linear` (MatMul + Add).
 *
 * @module
 */
import { type Dim, GraphError, isUnknown, type Tensor } from "../graph.ts";
import { broadcastShapes } from "./broadcast.ts";
import { add, unbroadcast } from "./elementwise.ts";
import { reshape, squeeze, transposeLast2, unsqueeze } from "./shape.ts";

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

/** Gemm without bias: op(a) @ op(b) (2-D only; used inside backward rules). */
export function gemm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw new GraphError("Gemm", "operands must be 2-D", [a, b]);
  const M = transA ? a.shape[1] : a.shape[0];
  const N = transB ? b.shape[0] : b.shape[1];
  const [y] = a.graph.node({
    op: "Gemm",
    inputs: [a, b],
    outputs: [{ dtype: a.dtype, shape: [M, N] }],
    attrs: { transA: transA ? 1 : 0, transB: transB ? 1 : 0 },
  });
  y.producer!.backward = ([g]) => [
    g ? () => (transA ? gemm(b, g, transB, true) : gemm(g, b, false, !transB)) : null,
    g ? () => (transB ? gemm(g, a, true, transA) : gemm(a, g, !transA, false)) : null,
  ];
  return y;
}

/** x @ w + b, with w stored [in, out]. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  if (w.rank !== 2) throw new GraphError("linear", "weight must be 2-D [in, out]", [x, w]);
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[1])) {
    throw new GraphError("linear", `bias must be [${w.shape[1]}]`, [w, b]);
  }
  const y = matmul(x, w);
  return b ? add(y, b) : y;
}
