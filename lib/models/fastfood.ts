/**
 * Fastfood projections as differentiable graph ops (the efficient form of DESIGN.md).
 *
 * Because pad_L(B z) is non-zero only in its first d ≤ n = 2^⌈log2 d⌉ entries, H_L·pad_L(Bz) is
 * H_n·pad_n(Bz) tiled L/n times, so Π H B pad(z) is a gather from an n-long table with indices
 * Π mod n. Then G ⊙ ·, a full Walsh–Hadamard transform of length L (Kronecker blocks by MatMul,
 * `lib/onnx` `wht`), the first D entries, times the scale. The transpose (Pᵀ∇θ) is what autodiff
 * makes of these ops: the gather's gradient is a ScatterElements-add into n slots (column sums),
 * and `wht` is its own adjoint.
 *
 * G and the gather indices are large for big tensors (L floats + L int32 each), so they can be
 * stored as external data in a side file (`FastfoodStore`) that ORT memory-maps.
 *
 * @module
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { ExternalRef, Graph, Tensor } from "../onnx/graph.ts";
import type { FastfoodSpec } from "./fastfood_params.ts";
import { concat, gatherElements, mul, slice, wht } from "./ops.ts";

/** Where the large per-projection constants go: embedded, or appended to a side file. */
export interface FastfoodStore {
  /** Adds a float32 or int32 constant of length n and returns its tensor. */
  constant(g: Graph, name: string, data: Float32Array | Int32Array): Tensor;
}

/** Embeds every constant in the model (fine for small models and tests). */
export const embeddedStore: FastfoodStore = {
  constant(g, name, data) {
    return g.initializer(
      name,
      data instanceof Float32Array ? "float32" : "int32",
      [data.length],
      data,
    );
  },
};

/** Appends constants to one external-data file (64-byte aligned), `location` relative to the model. */
export class FastfoodFile implements FastfoodStore {
  #fd: number;
  #pos = 0;
  readonly location: string;
  /** Refs handed out, by tensor name (so a second graph can reuse the same bytes). */
  readonly refs = new Map<string, { ref: ExternalRef; dtype: "float32" | "int32"; n: number }>();

  constructor(path: string, location: string) {
    this.#fd = openSync(path, "w");
    this.location = location;
  }

  constant(g: Graph, name: string, data: Float32Array | Int32Array): Tensor {
    const dtype = data instanceof Float32Array ? "float32" : "int32";
    let hit = this.refs.get(name);
    if (!hit) {
      const pad = (64 - (this.#pos % 64)) % 64;
      if (pad) this.#write(new Uint8Array(pad));
      const ref = { location: this.location, offset: this.#pos, length: data.byteLength };
      this.#write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      hit = { ref, dtype, n: data.length };
      this.refs.set(name, hit);
    }
    return g.external(name, dtype, [data.length], hit.ref);
  }

  #write(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.#fd, b, off, b.length - off, this.#pos + off);
    this.#pos += b.length;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#pos;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/**
 * P z for one Fastfood projection: z float32 [d] → [D]. `name` prefixes the constants.
 */
export function fastfoodProject(
  z: Tensor,
  f: FastfoodSpec,
  name: string,
  store: FastfoodStore = embeddedStore,
): Tensor {
  const g = z.graph;
  if (z.shape.length !== 1 || z.shape[0] !== f.d) {
    throw new Error(`fastfood ${name}: z must be float32 [${f.d}], got [${z.shape}]`);
  }
  let n = 1;
  while (n < f.d) n *= 2;
  const B = g.constant(f.B.slice(0, f.d), "float32", [f.d]);
  let x = mul(z, B);
  if (n > f.d) x = concat([x, g.constant(new Float32Array(n - f.d), "float32", [n - f.d])], 0);
  const h = wht(x);
  const idx = new Int32Array(f.L);
  for (let i = 0; i < f.L; i++) idx[i] = f.perm[i] & (n - 1);
  const x3 = gatherElements(h, store.constant(g, `${name}/perm_mod_n`, idx), 0);
  const x4 = mul(x3, store.constant(g, `${name}/G`, f.G));
  const x5 = wht(x4);
  const y = f.D === f.L ? x5 : slice(x5, [0], [f.D]);
  return mul(y, g.scalar(f.scale));
}
