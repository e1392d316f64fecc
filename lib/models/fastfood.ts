/**
 * Fastfood projections as differentiable graph ops, in their efficient form.
 *
 * Because pad_L(B z) is non-zero only in its first d ≤ n = 2^⌈log2 d⌉ entries, H_L·pad_L(Bz) is
 * H_n·pad_n(Bz) tiled L/n times, so Π H B pad(z) is a gather from an n-long table with indices
 * Π mod n. Then G ⊙ ·, a full Walsh–Hadamard transform of length L (Kronecker blocks by MatMul,
 * `lib/onnx` `wht`), the first D entries, times the scale. The transpose (Pᵀ∇θ) is what autodiff
 * makes of these ops: the gather's gradient sums the L/n positions of each of the n slots
 * (`gatherTiled`: a Gather by Π⁻¹ and a sum, not a serial ScatterElements-add), and `wht` is its
 * own adjoint.
 *
 * G and the gather indices are large for big tensors (L floats + L int32 each), so they can be
 * stored as external data in a side file (`FastfoodStore`) that ORT memory-maps.
 *
 * @module
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { ExternalRef, Graph, Tensor } from "../onnx/mod.ts";
import { type FastfoodSpec, makeFastfood, nextPow2 } from "./fastfood_params.ts";
import { concat, gatherTiled, mul, slice, wht } from "./ops.ts";

/** Where the large per-projection constants go: embedded, or appended to a side file. */
export interface FastfoodStore {
  /**
   * The tensor of constant `name` (float32 or int32, length n). `data` is called only when the
   * store does not hold `name` yet, so large constants are generated once per export.
   */
  constant(g: Graph, name: string, data: () => Float32Array | Int32Array): Tensor;
  /**
   * Several 1-D constants written part by part: `fill(write)` is called only when the store does
   * not hold them yet, and calls `write(k, part)` with consecutive parts of constant k (each
   * constant's parts in order, constants interleaved freely), so no constant is ever whole in
   * memory. Returns one tensor per constant.
   */
  constants(
    g: Graph,
    specs: readonly ConstantSpec[],
    fill: (write: (k: number, part: Float32Array | Int32Array) => void) => void,
  ): Tensor[];
}

/** A constant of a store, by name, dtype and shape (filled in row-major order). */
export interface ConstantSpec {
  name: string;
  dtype: "float32" | "int32";
  shape: readonly number[];
}

/** The number of elements of a constant. */
function lengthOf(s: ConstantSpec): number {
  return s.shape.reduce((a, b) => a * b, 1);
}

/** Checks that `part` fits constant `k` at `at` and returns the new fill position. */
function advance(specs: readonly ConstantSpec[], k: number, at: number, part: ArrayLike<number>) {
  if (at + part.length > lengthOf(specs[k])) {
    throw new Error(`fastfood store: constant ${specs[k].name} overfilled`);
  }
  return at + part.length;
}

/** Embeds every constant in the model (fine for small models and tests). */
export const embeddedStore: FastfoodStore = {
  constant(g, name, data) {
    const d = data();
    return g.initializer(name, d instanceof Float32Array ? "float32" : "int32", [d.length], d);
  },
  constants(g, specs, fill) {
    const arrays = specs.map((s) =>
      s.dtype === "float32" ? new Float32Array(lengthOf(s)) : new Int32Array(lengthOf(s))
    );
    const at = specs.map(() => 0);
    fill((k, part) => {
      arrays[k].set(part, at[k]);
      at[k] = advance(specs, k, at[k], part);
    });
    return specs.map((s, k) => g.initializer(s.name, s.dtype, s.shape, arrays[k]));
  },
};

/** Appends constants to one external-data file (64-byte aligned), `location` relative to the model. */
export class FastfoodFile implements FastfoodStore {
  #fd: number;
  #pos = 0;
  readonly location: string;
  readonly #refs = new Map<string, { ref: ExternalRef; dtype: "float32" | "int32"; n: number }>();

  constructor(path: string, location: string) {
    this.#fd = openSync(path, "w");
    this.location = location;
  }

  constant(g: Graph, name: string, data: () => Float32Array | Int32Array): Tensor {
    let hit = this.#refs.get(name);
    if (!hit) {
      const d = data();
      const pad = (64 - (this.#pos % 64)) % 64;
      if (pad) this.#write(new Uint8Array(pad));
      const ref = { location: this.location, offset: this.#pos, length: d.byteLength };
      this.#write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      hit = { ref, dtype: d instanceof Float32Array ? "float32" : "int32", n: d.length };
      this.#refs.set(name, hit);
    }
    return g.external(name, hit.dtype, [hit.n], hit.ref);
  }

  constants(
    g: Graph,
    specs: readonly ConstantSpec[],
    fill: (write: (k: number, part: Float32Array | Int32Array) => void) => void,
  ): Tensor[] {
    if (!specs.every((s) => this.#refs.has(s.name))) {
      const starts = specs.map((s) => {
        this.#pos += (64 - (this.#pos % 64)) % 64;
        const ref = { location: this.location, offset: this.#pos, length: lengthOf(s) * 4 };
        this.#refs.set(s.name, { ref, dtype: s.dtype, n: lengthOf(s) });
        this.#pos += ref.length;
        return ref.offset;
      });
      const at = specs.map(() => 0);
      fill((k, part) => {
        const b = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
        this.#writeAt(b, starts[k] + at[k] * 4);
        at[k] = advance(specs, k, at[k], part);
      });
      specs.forEach((s, k) => {
        if (at[k] !== lengthOf(s)) {
          throw new Error(`fastfood store: constant ${s.name} underfilled`);
        }
      });
    }
    return specs.map((s) => {
      const hit = this.#refs.get(s.name)!;
      if (hit.n !== lengthOf(s)) throw new Error(`fastfood store: ${s.name} stored with ${hit.n}`);
      return g.external(s.name, hit.dtype, s.shape, hit.ref);
    });
  }

  #write(b: Uint8Array): void {
    this.#writeAt(b, this.#pos);
    this.#pos += b.length;
  }

  #writeAt(b: Uint8Array, pos: number): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.#fd, b, off, b.length - off, pos + off);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#pos;
  }

  /** Closes the file. */
  close(): void {
    closeSync(this.#fd);
  }
}

/**
 * What a graph needs of one projection: the small parts, and a generator for the large ones
 * (called at most once per store and name).
 */
export interface FastfoodPlan {
  D: number;
  d: number;
  L: number;
  /** B[0:d]. */
  Bd: Float32Array;
  scale: number;
  /**
   * Π mod n (n = 2^⌈log2 d⌉), Π⁻¹ (the positions of each Π value, read as [L/n, n] for the
   * gather's gradient) and G, each of length L.
   */
  big(): { permModN: Int32Array; inverse: Int32Array; G: Float32Array };
}

/** The plan of a fully generated projection. */
export function planOf(f: FastfoodSpec): FastfoodPlan {
  return {
    D: f.D,
    d: f.d,
    L: f.L,
    Bd: f.B.slice(0, f.d),
    scale: f.scale,
    big() {
      const n = nextPow2(f.d);
      const permModN = new Int32Array(f.L);
      const inverse = new Int32Array(f.L);
      for (let i = 0; i < f.L; i++) {
        permModN[i] = f.perm[i] & (n - 1);
        inverse[f.perm[i]] = i;
      }
      return { permModN, inverse, G: f.G };
    },
  };
}

/**
 * A plan that generates its projection from (seed, stream) on demand and keeps only the small
 * parts between calls.
 */
export function seededPlan(D: number, d: number, seed: number, stream: number): FastfoodPlan {
  const f = makeFastfood(D, d, seed, stream);
  const plan = planOf(f);
  let big: ReturnType<FastfoodPlan["big"]> | undefined = plan.big();
  return {
    ...plan,
    big() {
      const b = big ?? planOf(makeFastfood(D, d, seed, stream)).big();
      big = undefined; // drop the large arrays after first use
      return b;
    },
  };
}

/** P z for one Fastfood projection: z float32 [d] → [D]. `name` prefixes the constants. */
export function fastfoodProject(
  z: Tensor,
  f: FastfoodSpec | FastfoodPlan,
  name: string,
  store: FastfoodStore = embeddedStore,
): Tensor {
  const plan = "big" in f ? f : planOf(f);
  const g = z.graph;
  if (z.shape.length !== 1 || z.shape[0] !== plan.d) {
    throw new Error(`fastfood ${name}: z must be float32 [${plan.d}], got [${z.shape}]`);
  }
  const n = nextPow2(plan.d);
  let x = mul(z, g.constant(plan.Bd, "float32", [plan.d]));
  if (n > plan.d) {
    x = concat([x, g.constant(new Float32Array(n - plan.d), "float32", [n - plan.d])], 0);
  }
  let cached: ReturnType<FastfoodPlan["big"]> | undefined;
  const big = () => (cached ??= plan.big());
  const x3 = gatherTiled(
    wht(x),
    store.constant(g, `${name}/perm_mod_n`, () => big().permModN),
    store.constant(g, `${name}/perm_inverse`, () => big().inverse),
  );
  const x5 = wht(mul(x3, store.constant(g, `${name}/G`, () => big().G)));
  const y = plan.D === plan.L ? x5 : slice(x5, [0], [plan.D]);
  return mul(y, g.scalar(plan.scale));
}
