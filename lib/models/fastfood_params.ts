/**
 * Fastfood projections P ∈ R^{D×d}: the random parts (B, Π, G), their seeded generation, and a
 * literal float64 reference implementation (for tests and for building a dense P).
 *
 *   P z = (H G Π H B · pad_L(z))[:D] · scale,   scale = 1 / (sqrt(L · ΣG²) · sqrt(D / L))
 *
 * with L = the next power of two ≥ max(D, d), B ∈ {±1}^L, Π a permutation of 0..L-1 applied as
 * a gather (`x[i] ← x[Π[i]]`), G ~ N(0, 1)^L and H the unnormalised Sylvester Walsh–Hadamard
 * transform ((Hx)[i] = Σ_j (−1)^popcount(i & j) x[j]). This keeps ‖Pz‖ ≈ ‖z‖.
 *
 * Generation (the project's convention, documented so others can reproduce it): for projection
 * `stream`, `rng = new Prng(seed, 1_000_003 + stream)` from `lib/random/prng.ts` draws, in this
 * order, B = L signs (`rng.sign()`), Π = rng.permutation(L), G = L normals (`rng.normal()`),
 * rounded to float32.
 * Per-tensor projections use stream = the tensor's index in the trainable list; the global
 * projection uses stream = 0 over all tensors concatenated.
 *
 * @module
 */
import { Prng } from "../random/mod.ts";

/** One Fastfood projection from R^d to R^D. */
export interface FastfoodSpec {
  D: number;
  d: number;
  L: number;
  B: Float32Array;
  /** Π as a gather: x3[i] = x2[perm[i]]. */
  perm: Int32Array;
  G: Float32Array;
  scale: number;
}

/** The next power of two ≥ x (x ≥ 1). */
export function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** The scale factor 1 / (sqrt(L ΣG²) sqrt(D/L)), in float64. */
export function fastfoodScale(G: Float32Array | Float64Array, D: number): number {
  let s = 0;
  for (let i = 0; i < G.length; i++) s += G[i] * G[i];
  const L = G.length;
  return 1 / (Math.sqrt(L * s) * Math.sqrt(D / L));
}

/** Generates the projection for (seed, stream) as documented in the module header. */
export function makeFastfood(D: number, d: number, seed: number, stream: number): FastfoodSpec {
  if (!(D >= 1 && d >= 1)) throw new Error(`Fastfood: need D ≥ 1 and d ≥ 1, got D=${D}, d=${d}`);
  const L = nextPow2(Math.max(D, d));
  const rng = new Prng(seed, 1_000_003 + stream);
  const B = new Float32Array(L);
  for (let i = 0; i < L; i++) B[i] = rng.sign();
  const perm = rng.permutation(L);
  const G = new Float32Array(L);
  rng.fillNormal(G);
  return { D, d, L, B, perm, G, scale: fastfoodScale(G, D) };
}

/** In-place unnormalised Walsh–Hadamard transform (Sylvester order), length a power of two. */
export function fwht(x: Float64Array): void {
  for (let h = 1; h < x.length; h *= 2) {
    for (let i = 0; i < x.length; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

/** P z in float64, literally as the formula reads. */
export function fastfoodApply(f: FastfoodSpec, z: ArrayLike<number>): Float64Array {
  const x = new Float64Array(f.L);
  for (let i = 0; i < f.d; i++) x[i] = z[i] * f.B[i];
  fwht(x);
  const y = new Float64Array(f.L);
  for (let i = 0; i < f.L; i++) y[i] = x[f.perm[i]] * f.G[i];
  fwht(y);
  const out = new Float64Array(f.D);
  for (let i = 0; i < f.D; i++) out[i] = y[i] * f.scale;
  return out;
}

/** Pᵀ g in float64: (B ⊙ H Πᵀ (G ⊙ H pad_L(g)))[:d] · scale. */
export function fastfoodTranspose(f: FastfoodSpec, g: ArrayLike<number>): Float64Array {
  const u = new Float64Array(f.L);
  for (let i = 0; i < f.D; i++) u[i] = g[i];
  fwht(u);
  const v = new Float64Array(f.L);
  for (let i = 0; i < f.L; i++) v[f.perm[i]] = u[i] * f.G[i];
  fwht(v);
  const out = new Float64Array(f.d);
  for (let i = 0; i < f.d; i++) out[i] = v[i] * f.B[i] * f.scale;
  return out;
}

/** The dense D×d matrix of P, row-major (tests only: D·d doubles). */
export function fastfoodDense(f: FastfoodSpec): Float64Array {
  const P = new Float64Array(f.D * f.d);
  const e = new Float64Array(f.d);
  for (let j = 0; j < f.d; j++) {
    e.fill(0);
    e[j] = 1;
    const col = fastfoodApply(f, e);
    for (let i = 0; i < f.D; i++) P[i * f.d + j] = col[i];
  }
  return P;
}
