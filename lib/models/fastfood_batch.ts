/**
 * Many per-tensor Fastfood projections (all from the same z) in a few large kernels.
 *
 * The projections are grouped by padded length L (and a group is split into chunks of at most
 * `maxGroupElements` = T·L elements, which bounds the transient memory); each chunk of T tensors
 * runs as one batched transform of a [T, L] tensor:
 *
 *   X = pad_n(z ⊙ B[T, d]) → wht → GatherElements(flat X, t·n + Π_t mod n) → ⊙ G → wht → ⊙ s[T, 1]
 *
 * and tensor t is row t's first D_t entries. Every element sees the same ops in the same order as
 * in `fastfoodProject` (the MatMul blocks of `wht` reduce each row alone), so the values are those
 * of the per-tensor graphs. The node count grows with the number of chunks, not of tensors (plus
 * one Slice/Reshape per tensor to hand its row out).
 *
 * The backward is explicit (a `customGrad`; autodiff of the row slices would pad each tensor's
 * gradient to [T, L]): the gradient rows are padded to L and concatenated, then ⊙ s → wht → ⊙ G →
 * the gather's transpose → wht → the first d columns ⊙ B, summed over the rows. The gather's
 * transpose sums, for each of row t's n slots, the L/n positions Π_t maps to it: a GatherElements
 * by Π_t⁻¹ (offset by t·L) puts them side by side, [T, L/n, n], and a sum over the middle axis
 * adds them (no ScatterElements-add, whose cost grew superlinearly with T·L). Only the order of
 * these sums and of the final sum over tensors differs from the per-tensor graphs.
 *
 * Π mod n (offset by t·n in row t, so the gather and its scatter run on flat 1-D tensors: ORT's
 * ScatterElements along axis 1 of [T, L] was ~10× slower than the 1-D kernel) and G of a chunk are
 * one [T·L] / [T, L] constant each, written part by part into the store.
 *
 * @module
 */
import { customGrad, type Graph, pad, type Tensor } from "../onnx/mod.ts";
import { embeddedStore, type FastfoodPlan, type FastfoodStore } from "./fastfood.ts";
import { nextPow2 } from "./fastfood_params.ts";
import { concat, gatherElements, mul, reduceSum, reshape, slice, wht } from "./ops.ts";

/** One projection of a batch: its output length and its plan (called when first needed). */
export interface BatchMember {
  D: number;
  plan: () => FastfoodPlan;
}

/** A chunk of projections that share one padded length L. */
export interface FastfoodChunk {
  L: number;
  /** Indices into the member list, in order. */
  members: number[];
}

/** Default cap on T·L per chunk (2^26 floats = 256 MiB per intermediate). */
export const FASTFOOD_GROUP_MAX = 2 ** 26;

/** The padded length of a projection R^d → R^D. */
export function fastfoodLength(D: number, d: number): number {
  return nextPow2(Math.max(D, d));
}

/**
 * Groups projections (output lengths `Ds`, input d) by padded length, in increasing L, split into
 * chunks of at most `maxElements` T·L elements (a single projection longer than that is its own
 * chunk).
 */
export function fastfoodChunks(
  Ds: readonly number[],
  d: number,
  maxElements: number = FASTFOOD_GROUP_MAX,
): FastfoodChunk[] {
  const byL = new Map<number, number[]>();
  Ds.forEach((D, i) => {
    const L = fastfoodLength(D, d);
    const list = byL.get(L);
    if (list) list.push(i);
    else byL.set(L, [i]);
  });
  const chunks: FastfoodChunk[] = [];
  for (const L of [...byL.keys()].sort((a, b) => a - b)) {
    const per = Math.max(1, Math.floor(maxElements / L));
    const all = byL.get(L)!;
    for (let i = 0; i < all.length; i += per) chunks.push({ L, members: all.slice(i, i + per) });
  }
  return chunks;
}

/** Options of `fastfoodProjectBatch`. */
export interface BatchOptions {
  /** Where Π mod n and G go (default: embedded). */
  store?: FastfoodStore;
  /** Cap on T·L per chunk (default `FASTFOOD_GROUP_MAX`). */
  maxGroupElements?: number;
}

/**
 * P_i z for every member i: z float32 [d] → one [D_i] tensor per member, the same values as
 * `fastfoodProject(z, plan_i)`. `name` prefixes the constants (`<name>/L<L>.<chunk>/…`).
 */
export function fastfoodProjectBatch(
  z: Tensor,
  members: readonly BatchMember[],
  name: string,
  opts: BatchOptions = {},
): Tensor[] {
  const d = z.shape[0];
  if (z.shape.length !== 1 || typeof d !== "number") {
    throw new Error(`fastfood ${name}: z must be float32 [d], got [${z.shape}]`);
  }
  const out: Tensor[] = new Array(members.length);
  const seen = new Map<number, number>();
  for (const c of fastfoodChunks(members.map((m) => m.D), d, opts.maxGroupElements)) {
    const k = seen.get(c.L) ?? 0;
    seen.set(c.L, k + 1);
    const ys = projectChunk(
      z,
      c.L,
      c.members.map((i) => members[i]),
      `${name}/L${c.L}.${k}`,
      opts.store ?? embeddedStore,
    );
    c.members.forEach((i, t) => out[i] = ys[t]);
  }
  return out;
}

/** One chunk: T projections of padded length L as one [T, L] transform. */
function projectChunk(
  z: Tensor,
  L: number,
  members: readonly BatchMember[],
  name: string,
  store: FastfoodStore,
): Tensor[] {
  const g = z.graph;
  const d = z.shape[0] as number;
  const n = nextPow2(d);
  const T = members.length;
  const [perm, G, inverse] = store.constants(g, [
    { name: `${name}/perm_mod_n`, dtype: "int32", shape: [T * L] },
    { name: `${name}/G`, dtype: "float32", shape: [T, L] },
    { name: `${name}/perm_inverse`, dtype: "int32", shape: [T * L] },
  ], (write) => {
    members.forEach((m, t) => {
      const big = m.plan().big();
      const flat = new Int32Array(L); // row t gathers from slots t·n … t·n + n − 1
      for (let i = 0; i < L; i++) flat[i] = big.permModN[i] + t * n;
      write(0, flat);
      write(1, big.G);
      const inv = new Int32Array(L); // row t's positions, ordered by the Π_t value they hold
      for (let i = 0; i < L; i++) inv[i] = big.inverse[i] + t * L;
      write(2, inv);
    });
  });
  const plans = members.map((m) => m.plan());
  const Bs = new Float32Array(T * d);
  plans.forEach((p, t) => {
    if (p.L !== L || p.d !== d) {
      throw new Error(`fastfood ${name}: member ${t} has L=${p.L}, d=${p.d}; chunk L=${L}, d=${d}`);
    }
    Bs.set(p.Bd, t * d);
  });
  const B = g.constant(Bs, "float32", [T, d]);
  const S = g.constant(Float32Array.from(plans, (p) => p.scale), "float32", [T, 1]);
  const Ds = plans.map((p) => p.D);
  const forward = (zz: Tensor): Tensor[] => {
    let x = mul(reshape(zz, [1, d]), B);
    if (n > d) x = pad(x, g.ints([0, 0, 0, n - d]), [T, n]);
    const x3 = reshape(gatherElements(reshape(wht(x), [T * n]), perm, 0), [T, L]);
    const x5 = wht(mul(x3, G));
    const y = mul(x5, S);
    return Ds.map((D, t) => reshape(slice(y, [t, 0], [t + 1, D]), [D]));
  };
  const backward = (gys: readonly (Tensor | undefined)[]): Tensor => {
    const rows = Ds.map((D, t) => {
      const gy = gys[t];
      return gy
        ? padRow(g, reshape(gy, [1, D]), L)
        : padRow(g, g.constant(0, "float32", [1, 1]), L);
    });
    const u = mul(rows.length === 1 ? rows[0] : concat(rows, 0), S);
    const v = mul(wht(u), G);
    const byIndex = gatherElements(reshape(v, [T * L]), inverse, 0);
    const w = wht(reduceSum(reshape(byIndex, [T, L / n, n]), [1]));
    return reduceSum(mul(n > d ? slice(w, [0, 0], [T, d]) : w, B), [0]);
  };
  return customGrad(
    [z],
    forward,
    (gys) => [gys.some((gy) => gy) ? () => backward(gys) : null],
    "fastfoodBatch",
  );
}

/** A [1, D] row zero-padded to [1, L]. */
function padRow(g: Graph, row: Tensor, L: number): Tensor {
  const D = row.shape[1] as number;
  return D === L ? row : pad(row, g.ints([0, 0, 0, L - D]), [1, L]);
}
