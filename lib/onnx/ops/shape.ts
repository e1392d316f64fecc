/**
 * Shape ops: Shape, Size, Reshape, Transpose, Unsqueeze, Squeeze, Expand, Concat, Slice, Split,
 * Pad, with their backward rules.
 *
 * @module
 */
import { type Dim, GraphError, isUnknown, numel, type Tensor } from "../graph.ts";
import { broadcastShapes } from "./broadcast.ts";
import { sub, unbroadcast, zerosLike } from "./elementwise.ts";
import { normAxes, reduceSum } from "./reduce.ts";

/** The run-time shape of x (int64[rank]). */
export function shapeOf(x: Tensor): Tensor {
  const [s] = x.graph.node({
    op: "Shape",
    inputs: [x],
    outputs: [{ dtype: "int64", shape: [x.rank] }],
    noGradReason: "Shape has an integer output",
  });
  return s;
}

/** The run-time element count of x (int64 scalar). */
export function size(x: Tensor): Tensor {
  const [s] = x.graph.node({
    op: "Size",
    inputs: [x],
    outputs: [{ dtype: "int64", shape: [] }],
    noGradReason: "Size has an integer output",
  });
  return s;
}

/**
 * Reshape. `dims` as numbers follow ONNX: 0 copies the input dim, −1 is inferred; or a
 * run-time int64 shape tensor.
 */
export function reshape(x: Tensor, dims: readonly number[] | Tensor): Tensor {
  const g = x.graph;
  let out: Dim[];
  let shapeT: Tensor;
  if (Array.isArray(dims)) {
    const ds = dims as readonly number[];
    if (ds.filter((d) => d === -1).length > 1) {
      throw new GraphError("Reshape", `at most one -1 allowed in [${ds}]`, [x]);
    }
    out = ds.map((d, i) => {
      if (d === 0) {
        if (i >= x.rank) throw new GraphError("Reshape", `0 at axis ${i} beyond rank`, [x]);
        return x.shape[i];
      }
      return d;
    });
    const inN = numel(x.shape);
    const known = numel(out.filter((d) => d !== -1));
    const k = out.indexOf(-1);
    if (inN !== undefined && known !== undefined) {
      if (k >= 0) {
        if (known === 0 || inN % known !== 0) {
          throw new GraphError("Reshape", `cannot reshape ${inN} elements to [${ds}]`, [x]);
        }
        out[k] = inN / known;
      } else if (inN !== known) {
        throw new GraphError("Reshape", `cannot reshape ${inN} elements to [${ds}]`, [x]);
      }
    } else if (k >= 0) {
      out[k] = inferSymbolic(x, ds) ?? g.unknownDim();
    }
    shapeT = g.ints(ds);
  } else {
    const t = dims as Tensor;
    if (t.dtype !== "int64" || t.rank !== 1 || typeof t.shape[0] !== "number") {
      throw new GraphError("Reshape", "shape tensor must be int64 of static length", [t]);
    }
    out = Array.from({ length: t.shape[0] as number }, () => g.unknownDim());
    if (t.producer?.opType === "Shape") out = [...t.producer.inputs[0]!.shape];
    shapeT = t;
  }
  const [y] = g.node({
    op: "Reshape",
    inputs: [x, shapeT],
    outputs: [{ dtype: x.dtype, shape: out }],
    diffInputs: [x],
  });
  y.producer!.backward = ([gr]) => [gr ? () => reshape(gr, shapeOf(x)) : null];
  return y;
}

/** Infer a −1 dim symbolically when the input's symbolic dims are all copied or kept. */
function inferSymbolic(x: Tensor, ds: readonly number[]): Dim | undefined {
  const rest: Dim[] = [...x.shape];
  let prodOut = 1;
  for (let i = 0; i < ds.length; i++) {
    if (ds[i] === -1) continue;
    if (ds[i] === 0) {
      const j = rest.indexOf(x.shape[i]);
      if (j >= 0) rest.splice(j, 1);
      continue;
    }
    prodOut *= ds[i];
  }
  const sym = rest.filter((d) => typeof d !== "number");
  const stat = numel(rest.filter((d) => typeof d === "number"))!;
  if (sym.length === 0) return stat / prodOut;
  if (sym.length === 1 && stat === prodOut && !isUnknown(sym[0])) return sym[0];
  return undefined;
}

/** Transpose by `perm` (default: reverse axes). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new GraphError("Transpose", `perm [${p}] is not a permutation of ${x.rank} axes`, [x]);
  }
  const [y] = x.graph.node({
    op: "Transpose",
    inputs: [x],
    outputs: [{ dtype: x.dtype, shape: p.map((i) => x.shape[i]) }],
    attrs: { perm: p },
  });
  const inv = p.map((_, i) => p.indexOf(i));
  y.producer!.backward = ([g]) => [g ? () => transpose(g, inv) : null];
  return y;
}

/** Swap the last two axes. */
export function transposeLast2(x: Tensor): Tensor {
  if (x.rank < 2) throw new GraphError("Transpose", "needs rank ≥ 2", [x]);
  const p = x.shape.map((_, i) => i);
  [p[x.rank - 2], p[x.rank - 1]] = [p[x.rank - 1], p[x.rank - 2]];
  return transpose(x, p);
}

/** Insert size-1 axes at `axes` (positions in the output). */
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const r = x.rank + axes.length;
  const ax = axes.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(ax.includes(i) ? 1 : x.shape[k++]);
  const [y] = x.graph.node({
    op: "Unsqueeze",
    inputs: [x, x.graph.ints(ax)],
    outputs: [{ dtype: x.dtype, shape: out }],
    diffInputs: [x],
  });
  y.producer!.backward = ([g]) => [g ? () => reshape(g, shapeOf(x)) : null];
  return y;
}

/** Remove size-1 axes `axes`. */
export function squeeze(x: Tensor, axes: readonly number[]): Tensor {
  const ax = normAxes("Squeeze", x, axes);
  for (const a of ax) {
    if (x.shape[a] !== 1 && !isUnknown(x.shape[a])) {
      throw new GraphError("Squeeze", `axis ${a} has size ${x.shape[a]}, expected 1`, [x]);
    }
  }
  const [y] = x.graph.node({
    op: "Squeeze",
    inputs: [x, x.graph.ints(ax)],
    outputs: [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !ax.includes(i)) }],
    diffInputs: [x],
  });
  y.producer!.backward = ([g]) => [g ? () => reshape(g, shapeOf(x)) : null];
  return y;
}

/** Broadcast x to `shape` (numbers, or a run-time int64 shape tensor). */
export function expand(x: Tensor, shape: readonly number[] | Tensor): Tensor {
  const g = x.graph;
  let out: Dim[];
  let st: Tensor;
  if (Array.isArray(shape)) {
    st = g.ints(shape as number[]);
    out = broadcastShapes("Expand", [x], [x.shape, shape as number[]]);
  } else {
    st = shape as Tensor;
    const src = st.producer?.opType === "Shape" ? st.producer.inputs[0]! : undefined;
    out = src
      ? broadcastShapes("Expand", [x, src])
      : Array.from({ length: Math.max(x.rank, st.shape[0] as number) }, () => g.unknownDim());
  }
  const [y] = g.node({
    op: "Expand",
    inputs: [x, st],
    outputs: [{ dtype: x.dtype, shape: out }],
    diffInputs: [x],
  });
  y.producer!.backward = ([gr]) => [gr ? () => unbroadcast(gr, x) : null];
  return y;
}

/** Concatenate along `axis`. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new GraphError("Concat", "needs at least one input");
  const r = xs[0].rank;
  const a = axis < 0 ? axis + r : axis;
  let total: Dim = 0;
  for (const x of xs) {
    if (x.rank !== r || x.dtype !== xs[0].dtype) {
      throw new GraphError("Concat", "inputs must share rank and dtype", xs);
    }
    x.shape.forEach((d, i) => {
      if (i !== a && !(d === xs[0].shape[i] || isUnknown(d) || isUnknown(xs[0].shape[i]))) {
        throw new GraphError("Concat", `axis ${i} differs (concat axis ${a})`, xs);
      }
    });
    const d = x.shape[a];
    total = typeof total === "number" && typeof d === "number"
      ? total + d
      : xs[0].graph.unknownDim();
  }
  const shape = [...xs[0].shape];
  shape[a] = total;
  const [y] = xs[0].graph.node({
    op: "Concat",
    inputs: xs,
    outputs: [{ dtype: xs[0].dtype, shape }],
    attrs: { axis: a },
  });
  y.producer!.backward = ([g]) => {
    if (!g) return xs.map(() => null);
    let parts: Tensor[] | undefined;
    const get = () => (parts ??= splitLike(g, xs, a));
    return xs.map((_, i) => () => get()[i]);
  };
  return y;
}

/** Split g along `axis` into pieces the sizes of `like` (run-time sizes when symbolic). */
function splitLike(g: Tensor, like: readonly Tensor[], axis: number): Tensor[] {
  const sizes = like.map((x) => x.shape[axis]);
  if (sizes.every((d) => typeof d === "number")) return split(g, sizes as number[], axis);
  const gr = g.graph;
  const parts = like.map((x) => gather(shapeOf(x), gr.ints([axis]), 0));
  return splitDynamic(g, concat(parts, 0), like, axis);
}

function splitDynamic(x: Tensor, sizes: Tensor, like: readonly Tensor[], axis: number): Tensor[] {
  return x.graph.node({
    op: "Split",
    inputs: [x, sizes],
    outputs: like.map((l) => ({ dtype: x.dtype, shape: l.shape })),
    attrs: { axis },
    diffInputs: [x],
    noGradReason: "internal split",
  });
}

/** Split along `axis` into pieces of `sizes`. */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const a = axis < 0 ? axis + x.rank : axis;
  const d = x.shape[a];
  const tot = sizes.reduce((p, c) => p + c, 0);
  if (typeof d === "number" && d !== tot) {
    throw new GraphError("Split", `sizes [${sizes}] sum to ${tot}, axis ${a} has ${d}`, [x]);
  }
  const outs = x.graph.node({
    op: "Split",
    inputs: [x, x.graph.ints(sizes)],
    outputs: sizes.map((s) => {
      const shape = [...x.shape];
      shape[a] = s;
      return { dtype: x.dtype, shape };
    }),
    attrs: { axis: a },
    diffInputs: [x],
  });
  outs[0].producer!.backward = (gs) => [
    gs.some((g) => g) ? () => concat(gs.map((g, i) => g ?? zerosLike(outs[i])), a) : null,
  ];
  return outs;
}

/** x[starts:ends:steps] along `axes` (default: the first axes). */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): Tensor {
  const g = x.graph;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + x.rank : a));
  const st = steps ?? starts.map(() => 1);
  if (ends.length !== starts.length || ax.length !== starts.length || st.length !== starts.length) {
    throw new GraphError("Slice", "starts, ends, axes and steps need the same length", [x]);
  }
  const shape = [...x.shape];
  ax.forEach((a, i) => {
    const d = x.shape[a];
    if (a < 0 || a >= x.rank) throw new GraphError("Slice", `axis ${ax[i]} out of range`, [x]);
    if (typeof d === "number") {
      const cl = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      const s = st[i] > 0
        ? cl(starts[i] < 0 ? starts[i] + d : starts[i], 0, d)
        : cl(starts[i] < 0 ? starts[i] + d : starts[i], -1, d - 1);
      const e = st[i] > 0
        ? cl(ends[i] < 0 ? ends[i] + d : ends[i], 0, d)
        : cl(ends[i] < 0 ? ends[i] + d : ends[i], -1, d - 1);
      shape[a] = Math.max(0, Math.ceil((e - s) / st[i]));
    } else if (st[i] === 1 && starts[i] >= 0 && ends[i] >= starts[i] && ends[i] < 2 ** 31) {
      shape[a] = ends[i] - starts[i];
    } else shape[a] = g.unknownDim();
  });
  const [y] = g.node({
    op: "Slice",
    inputs: [
      x,
      g.ints(starts),
      g.ints(ends.map((e) => Math.min(e, 2 ** 53))),
      g.ints(ax),
      g.ints(st),
    ],
    outputs: [{ dtype: x.dtype, shape }],
    diffInputs: [x],
  });
  y.producer!.backward = ([gr]) => [
    gr
      ? () => {
        const begins = x.shape.map(() => 0);
        ax.forEach((a, i) => {
          if (st[i] !== 1) {
            throw new GraphError("Slice", `gradient needs step 1 (axis ${a} has ${st[i]})`, [x]);
          }
          const d = x.shape[a];
          if (starts[i] < 0 && typeof d !== "number") {
            throw new GraphError("Slice", `gradient needs start ≥ 0 on symbolic axis ${a}`, [x]);
          }
          begins[a] = starts[i] < 0 ? Math.max(0, starts[i] + (d as number)) : starts[i];
          if (typeof d === "number") begins[a] = Math.min(begins[a], d);
        });
        const bt = g.ints(begins);
        const endsPad = sub(sub(shapeOf(x), shapeOf(gr)), bt);
        return pad(gr, concat([bt, endsPad], 0), x.shape);
      }
      : null,
  ];
  return y;
}

/** Zero-pad x by an int64 pads tensor [begin..., end...] to `shape`. */
export function pad(x: Tensor, pads: Tensor, shape: readonly Dim[]): Tensor {
  const [y] = x.graph.node({
    op: "Pad",
    inputs: [x, pads],
    outputs: [{ dtype: x.dtype, shape }],
    attrs: { mode: "constant" },
    diffInputs: [x],
  });
  y.producer!.backward = ([gr]) => [
    gr
      ? () => {
        const [s] = x.graph.node({
          op: "Slice",
          inputs: [gr, sliceStarts(pads, x.rank), addShape(pads, x)],
          outputs: [{ dtype: x.dtype, shape: x.shape }],
          diffInputs: [gr],
          noGradReason: "internal",
        });
        return s;
      }
      : null,
  ];
  return y;
}

function sliceStarts(pads: Tensor, rank: number): Tensor {
  const [s] = pads.graph.node({
    op: "Slice",
    inputs: [pads, pads.graph.ints([0]), pads.graph.ints([rank])],
    outputs: [{ dtype: "int64", shape: [rank] }],
    noGradReason: "integer",
  });
  return s;
}

function addShape(pads: Tensor, x: Tensor): Tensor {
  const starts = sliceStarts(pads, x.rank);
  const [e] = x.graph.node({
    op: "Add",
    inputs: [starts, shapeOf(x)],
    outputs: [{ dtype: "int64", shape: [x.rank] }],
    noGradReason: "integer",
  });
  return e;
}

/** Gather along `axis` with int32/int64 `indices`; gradient by ScatterND with add. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (indices.dtype !== "int64" && indices.dtype !== "int32") {
    throw new GraphError("Gather", "indices must be int32 or int64", [x, indices]);
  }
  if (a < 0 || a >= x.rank) throw new GraphError("Gather", `axis ${axis} out of range`, [x]);
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  const [y] = x.graph.node({
    op: "Gather",
    inputs: [x, indices],
    outputs: [{ dtype: x.dtype, shape }],
    attrs: { axis: a },
    diffInputs: [x],
  });
  y.producer!.backward = ([g]) => [g ? () => gatherGrad(g, x, indices, a) : null];
  return y;
}

function gatherGrad(g: Tensor, x: Tensor, idx: Tensor, a: number): Tensor {
  const gr = x.graph;
  const m = idx.rank;
  const idx64 = idx.dtype === "int64" ? idx : castInt64(idx);
  const ind = unsqueeze(idx64, [m]);
  if (a === 0) return scatterNDAdd(zerosLike(x), ind, g);
  const p = [a, ...x.shape.map((_, i) => i).filter((i) => i !== a)];
  const gp = [
    ...Array.from({ length: m }, (_, i) => a + i),
    ...Array.from({ length: a }, (_, i) => i),
    ...Array.from({ length: g.rank - a - m }, (_, i) => a + m + i),
  ];
  const zshape = gather(shapeOf(x), gr.ints(p), 0);
  const [zeros] = gr.node({
    op: "ConstantOfShape",
    inputs: [zshape],
    outputs: [{ dtype: x.dtype, shape: p.map((i) => x.shape[i]) }],
    attrs: { value: { tensor: { dtype: x.dtype, shape: [1], data: zeroOf(x) } } },
  });
  const s = scatterNDAdd(zeros, ind, transpose(g, gp));
  return transpose(s, p.map((_, i) => p.indexOf(i)));
}

function zeroOf(x: Tensor) {
  return x.dtype === "float64" ? new Float64Array(1) : new Float32Array(1);
}

function castInt64(x: Tensor): Tensor {
  const [y] = x.graph.node({
    op: "Cast",
    inputs: [x],
    outputs: [{ dtype: "int64", shape: x.shape }],
    attrs: { to: 7 },
  });
  return y;
}

/** ScatterND with reduction=add: data[indices] += updates. Gradient flows to data and updates. */
export function scatterNDAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  if (indices.dtype !== "int64") {
    throw new GraphError("ScatterND", "indices must be int64", [indices]);
  }
  const [y] = data.graph.node({
    op: "ScatterND",
    inputs: [data, indices, updates],
    outputs: [{ dtype: data.dtype, shape: data.shape }],
    attrs: { reduction: "add" },
    diffInputs: [data, updates],
  });
  y.producer!.backward = ([g]) => [
    g ? () => g : null,
    g
      ? () => {
        const [u] = data.graph.node({
          op: "GatherND",
          inputs: [g, indices],
          outputs: [{ dtype: g.dtype, shape: updates.shape }],
          diffInputs: [g],
          noGradReason: "second-order gradient not supported",
        });
        return u;
      }
      : null,
  ];
  return y;
}

/** GatherElements along `axis`; gradient by ScatterElements with add. */
export function gatherElements(x: Tensor, indices: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (indices.rank !== x.rank) {
    throw new GraphError("GatherElements", "indices must have x's rank", [x, indices]);
  }
  const [y] = x.graph.node({
    op: "GatherElements",
    inputs: [x, indices],
    outputs: [{ dtype: x.dtype, shape: indices.shape }],
    attrs: { axis: a },
    diffInputs: [x],
  });
  y.producer!.backward = (
    [g],
  ) => [g ? () => scatterElementsAdd(zerosLike(x), indices, g, a) : null];
  return y;
}

/**
 * `x[indices]` for a 1-D `x` of length n and 1-D `indices` of length L in which every value
 * 0 … n−1 occurs exactly L/n times (e.g. a permutation of 0 … L−1 taken mod n). `inverse`
 * [L] lists the positions by index value: read as [L/n, n], column j holds the L/n positions
 * whose index is j. Forward: GatherElements. The gradient sums each value's positions as
 * ScatterElements-add would, but as a GatherElements by `inverse` summed over the L/n rows: no
 * serial scatter, and the same sums (in another order).
 */
export function gatherTiled(x: Tensor, indices: Tensor, inverse: Tensor): Tensor {
  const [n] = x.shape;
  const [L] = indices.shape;
  if (
    x.rank !== 1 || indices.rank !== 1 || inverse.rank !== 1 || typeof n !== "number" ||
    typeof L !== "number" || inverse.shape[0] !== L || L % n !== 0
  ) {
    throw new GraphError(
      "GatherTiled",
      "needs x [n], indices [L] and inverse [L] with n dividing L",
      [x, indices, inverse],
    );
  }
  const [y] = x.graph.node({
    op: "GatherElements",
    inputs: [x, indices],
    outputs: [{ dtype: x.dtype, shape: indices.shape }],
    attrs: { axis: 0 },
    diffInputs: [x],
  });
  y.producer!.backward = ([g]) => [
    g
      ? () => {
        const [byIndex] = x.graph.node({
          op: "GatherElements",
          inputs: [g, inverse],
          outputs: [{ dtype: g.dtype, shape: [L] }],
          attrs: { axis: 0 },
          noGradReason: "second-order gradient of gatherTiled not supported",
        });
        return reduceSum(reshape(byIndex, [L / n, n]), [0]);
      }
      : null,
  ];
  return y;
}

/**
 * Rows of `h` [B, S, H] at `positions` [B, P] (int64) → [B, P, H]: `gatherElements` along axis 1
 * with the positions broadcast over the last axis (e.g. an MLM head at masked positions only).
 * Composed from differentiable ops, so its gradient reaches `h`.
 */
export function gatherElementsRows(h: Tensor, positions: Tensor): Tensor {
  const idx = expand(
    unsqueeze(positions, [2]),
    concat([shapeOf(positions), slice(shapeOf(h), [2], [3])], 0),
  );
  return gatherElements(h, idx, 1);
}

/**
 * Inclusive cumulative sum along `axis` (ONNX `CumSum`). Integer use only (e.g. RoBERTa
 * position ids): the node has no gradient.
 */
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

/** ScatterElements with reduction=add along `axis`; gradient flows to data and updates. */
export function scatterElementsAdd(
  data: Tensor,
  indices: Tensor,
  updates: Tensor,
  axis: number,
): Tensor {
  const a = axis < 0 ? axis + data.rank : axis;
  const [y] = data.graph.node({
    op: "ScatterElements",
    inputs: [data, indices, updates],
    outputs: [{ dtype: data.dtype, shape: data.shape }],
    attrs: { axis: a, reduction: "add" },
    diffInputs: [data, updates],
  });
  y.producer!.backward = ([g]) => [
    g ? () => g : null,
    g ? () => gatherElements(g, indices, a) : null,
  ];
  return y;
}
