/**
 * Broadcasting: shape inference for n-ary elementwise ops and the un-broadcast
 * (ReduceSum over broadcast axes) their gradients need.
 *
 * @module
 */
import { type Dim, GraphError, isUnknown, type Shape, type Tensor } from "../graph.ts";

/** The numpy-broadcast shape of the tensors (or of `shapes`), or a GraphError naming `op`. */
export function broadcastShapes(
  op: string,
  tensors: readonly Tensor[],
  shapes: readonly Shape[] = tensors.map((t) => t.shape),
): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k];
      if (e === 1 || e === d) continue;
      if (d === 1) d = e;
      else if (isUnknown(d)) d = e;
      else if (isUnknown(e)) continue;
      else {
        throw new GraphError(
          op,
          `shapes cannot be broadcast: axis ${i - rank} has ${d} and ${e}`,
          tensors,
        );
      }
    }
    out.push(d);
  }
  return out;
}

/** Axes of `from` that were broadcast to reach `to` (aligned right). */
export function broadcastAxes(to: Shape, from: Shape): { lead: number[]; kept: number[] } {
  const k = to.length - from.length;
  const lead = Array.from({ length: k }, (_, i) => i);
  const kept: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (from[i] === 1 && to[k + i] !== 1) kept.push(k + i);
  }
  return { lead, kept };
}
