/**
 * Reverse-mode differentiation over the graph: `grad(loss, wrt)` appends backward nodes
 * built from each node's backward rule, accumulating fan-out gradients with balanced trees of
 * two-input Adds (`sumAll`; ORT's WebGPU EP has no Sum kernel), skipping
 * nodes no requested gradient needs, and failing at build time (naming the op and shapes)
 * when a requested gradient can only pass through an integer or non-differentiable path.
 *
 * @module
 */
import { isFloat } from "./dtype.ts";
import { COMPOSITES } from "./custom.ts";
import { type GradThunk, GraphError, type Node, type Tensor } from "./graph.ts";
import { sumAll, zerosLike } from "./ops/elementwise.ts";

interface GradNode {
  opType: string;
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
  backward?: (grads: readonly (Tensor | undefined)[]) => readonly GradThunk[];
  noGradReason?: string;
  order: number;
  onnx: Node;
}

/** Options of {@link grad}. */
export interface GradOptions {
  /** Gradient of `loss` itself (default: ones; required when loss is not a scalar). */
  seed?: Tensor;
  /** Return zeros instead of failing when the loss does not depend on a tensor. */
  allowUnused?: boolean;
}

function gradNodeOf(
  t: Tensor,
  cache: Map<Node, GradNode>,
  order: Map<Node, number>,
): GradNode | undefined {
  const p = t.producer;
  if (!p) return undefined;
  const hit = cache.get(p);
  if (hit) return hit;
  const comp = COMPOSITES.get(p);
  let gn: GradNode;
  if (comp) {
    gn = {
      opType: comp.opType,
      inputs: comp.inputs,
      outputs: comp.outputs,
      backward: comp.backward,
      order: Math.max(...comp.outputs.map((o) => order.get(o.producer!)!)),
      onnx: p,
    };
    for (const o of comp.outputs) cache.set(o.producer!, gn);
  } else {
    gn = {
      opType: p.opType,
      inputs: p.diffInputs,
      outputs: p.outputs,
      backward: p.backward,
      noGradReason: p.noGradReason,
      order: order.get(p)!,
      onnx: p,
    };
    cache.set(p, gn);
  }
  return gn;
}

/**
 * Append the backward graph of `loss` and return d loss / d w for each w in `wrt`.
 * Throws a GraphError at build time when a gradient cannot be formed.
 */
export function grad(loss: Tensor, wrt: readonly Tensor[], opts: GradOptions = {}): Tensor[] {
  const g = loss.graph;
  if (!isFloat(loss.dtype)) throw new GraphError("grad", "loss must be floating-point", [loss]);
  if (!opts.seed && loss.rank !== 0) {
    throw new GraphError("grad", "loss must be a scalar (or pass opts.seed)", [loss]);
  }
  for (const w of wrt) {
    if (!isFloat(w.dtype)) {
      throw new GraphError("grad", `gradient requested for an integer tensor`, [w]);
    }
    if (w.graph !== g) throw new GraphError("grad", "tensor belongs to another graph", [w]);
  }
  const order = new Map<Node, number>();
  g.nodes.forEach((n, i) => order.set(n, i));
  const cache = new Map<Node, GradNode>();

  // Collect the grad nodes reachable backwards from the loss.
  const nodes = new Set<GradNode>();
  const stack = [loss];
  const seen = new Set<Tensor>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const n = gradNodeOf(t, cache, order);
    if (!n || nodes.has(n)) continue;
    nodes.add(n);
    for (const i of n.inputs) stack.push(i);
  }
  const sorted = [...nodes].sort((a, b) => a.order - b.order);

  // Forward pass: which tensors carry a gradient to some wrt.
  const needs = new Set<Tensor>(wrt);
  for (const n of sorted) {
    if (!n.backward) continue;
    if (n.inputs.some((i) => needs.has(i))) {
      for (const o of n.outputs) if (isFloat(o.dtype)) needs.add(o);
    }
  }

  // Backward pass.
  const contrib = new Map<Tensor, Tensor[]>();
  const push = (t: Tensor, v: Tensor) => {
    const l = contrib.get(t);
    if (l) l.push(v);
    else contrib.set(t, [v]);
  };
  const total = (t: Tensor): Tensor | undefined => {
    const l = contrib.get(t);
    if (!l) return undefined;
    if (l.length > 1) contrib.set(t, [sumAll(l)]);
    return contrib.get(t)![0];
  };
  push(loss, opts.seed ?? g.scalar(1, loss.dtype));
  if (needs.has(loss)) {
    for (let k = sorted.length - 1; k >= 0; k--) {
      const n = sorted[k];
      if (!n.backward || !n.outputs.some((o) => needs.has(o))) continue;
      const gs = n.outputs.map((o) => total(o));
      if (gs.every((x) => !x)) continue;
      const thunks = n.backward(gs);
      n.inputs.forEach((inp, i) => {
        const th = thunks[i];
        if (!th || !needs.has(inp)) return;
        const gi = th();
        if (gi.dtype !== inp.dtype) {
          throw new GraphError(n.opType, `internal: gradient dtype ${gi.dtype} for ${inp}`);
        }
        push(inp, gi);
      });
    }
  }
  return wrt.map((w) => {
    const r = total(w);
    if (r) return r;
    if (opts.allowUnused) return zerosLike(w);
    throw explainMissing(loss, w);
  });
}

/** Why no gradient reached `w`: find where the dependency leaves differentiable ops. */
function explainMissing(loss: Tensor, w: Tensor): GraphError {
  const dep = new Set<Tensor>([w]);
  const diff = new Set<Tensor>([w]);
  const blockers: Node[] = [];
  for (const n of loss.graph.nodes) {
    const comp = COMPOSITES.get(n);
    const dIn = comp ? comp.inputs : n.diffInputs;
    const hasRule = comp ? true : !!n.backward;
    const onnxIn = n.inputs.filter((t): t is Tensor => !!t);
    if ([...dIn, ...onnxIn].some((i) => dep.has(i))) { for (const o of n.outputs) dep.add(o); }
    const dHit = dIn.some((i) => diff.has(i));
    if (dHit && hasRule && n.outputs.some((o) => isFloat(o.dtype))) {
      for (const o of n.outputs) if (isFloat(o.dtype)) diff.add(o);
    } else if (dHit || onnxIn.some((i) => diff.has(i))) {
      if (!comp) blockers.push(n);
    }
  }
  if (!dep.has(loss)) {
    return new GraphError("grad", `the loss does not depend on this tensor`, [w, loss]);
  }
  const anc = new Set<Tensor>();
  const stack = [loss];
  while (stack.length) {
    const t = stack.pop()!;
    if (anc.has(t)) continue;
    anc.add(t);
    const p = t.producer;
    if (p) {
      for (const i of [...p.inputs, ...(COMPOSITES.get(p)?.inputs ?? [])]) if (i) stack.push(i);
    }
  }
  const b = blockers.find((n) => n.outputs.some((o) => dep.has(o) && anc.has(o)));
  const show = (n: Node) =>
    `${n.opType} (${n.inputs.filter((t) => t).map((t) => t!.toString()).join(", ")} → ${
      n.outputs.map((t) => t.toString()).join(", ")
    })`;
  const why = b
    ? `${show(b)}: ${
      b.noGradReason ??
        (b.outputs.every((o) => !isFloat(o.dtype))
          ? "integer output"
          : "the input is not differentiable here (e.g. indices)")
    }`
    : "a non-differentiable path";
  return new GraphError(
    "grad",
    `no gradient reaches ${w} from the loss; the path goes through ${why}`,
  );
}
