/**
 * Reductions (ReduceSum, ReduceMean, ReduceMax) with their backward rules.
 *
 * @module
 */
import { type Dim, GraphError, type Tensor } from "../graph.ts";
import { cast, div, mul } from "./elementwise.ts";
import { expand, shapeOf, size, unsqueeze } from "./shape.ts";

/** Normalize possibly negative axes against `rank`; sorted, unique. */
export function normAxes(op: string, x: Tensor, axes: readonly number[]): number[] {
  const out = axes.map((a) => (a < 0 ? a + x.rank : a));
  for (const a of out) {
    if (a < 0 || a >= x.rank) throw new GraphError(op, `axis out of range: ${axes}`, [x]);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

function reducedShape(x: Tensor, axes: readonly number[], keepdims: boolean): Dim[] {
  const out: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function reduce(op: string, x: Tensor, axes: readonly number[] | undefined, keepdims: boolean) {
  const ax = axes === undefined ? x.shape.map((_, i) => i) : normAxes(op, x, axes);
  const [y] = x.graph.node({
    op,
    inputs: [x, x.graph.ints(ax)],
    outputs: [{ dtype: x.dtype, shape: reducedShape(x, ax, keepdims) }],
    attrs: { keepdims: keepdims ? 1 : 0 },
    noGradReason: `${op} has no gradient`,
  });
  return { y, ax };
}

/** Broadcast a reduced gradient back to x's shape. */
function spread(g: Tensor, x: Tensor, ax: readonly number[], keepdims: boolean): Tensor {
  const gk = keepdims ? g : unsqueeze(g, ax);
  return expand(gk, shapeOf(x));
}

/** Sum over `axes` (all axes when undefined). */
export function reduceSum(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const { y, ax } = reduce("ReduceSum", x, axes, keepdims);
  y.producer!.backward = ([g]) => [g ? () => spread(g, x, ax, keepdims) : null];
  return y;
}

/** Mean over `axes` (all axes when undefined). */
export function reduceMean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const { y, ax } = reduce("ReduceMean", x, axes, keepdims);
  y.producer!.backward = (
    [g],
  ) => [g ? () => div(spread(g, x, ax, keepdims), count(x, y, ax)) : null];
  return y;
}

/** Max over `axes` (no gradient; used for numerics and metrics). */
export function reduceMax(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  return reduce("ReduceMax", x, axes, keepdims).y;
}

/** Number of elements reduced into each output: static when known. */
function count(x: Tensor, y: Tensor, ax: readonly number[]): Tensor | number {
  let n = 1;
  for (const a of ax) {
    const d = x.shape[a];
    if (typeof d !== "number") {
      return div(cast(size(x), x.dtype), cast(size(y), x.dtype));
    }
    n *= d;
  }
  return n;
}

/** Sum of squares of all elements (a scalar). */
export function sumSquares(x: Tensor): Tensor {
  return reduceSum(mul(x, x));
}
