/**
 * The project's seeded pseudo-random generator for model initialisation and Fastfood.
 *
 * xoshiro128** (Blackman & Vigna) with its 128-bit state filled by splitmix32 from a
 * seed and an optional stream id, so `new Rng(seed, stream)` gives independent,
 * reproducible sequences (e.g. one stream per parameter tensor). Normals use the
 * Box–Muller transform on two 53-bit uniforms, both outputs consumed in order.
 *
 * The same (seed, stream) gives the same numbers on every machine: only 32-bit integer
 * arithmetic and IEEE double `Math.log`/`Math.cos`/`Math.sin`/`Math.sqrt` are used.
 *
 * @module
 */

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seeded generator: uniform, integer, normal, sign and permutation draws. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | null = null;

  /** `seed` and `stream` are any integers (taken modulo 2^32). */
  constructor(seed: number, stream = 0) {
    const st = { s: (seed | 0) ^ Math.imul(stream | 0, 0x632be5ab) };
    splitmix32(st);
    st.s = (st.s + Math.imul(stream | 0, 0x27d4eb2f)) | 0;
    this.#a = splitmix32(st);
    this.#b = splitmix32(st);
    this.#c = splitmix32(st);
    this.#d = splitmix32(st);
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return r;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal draw (Box–Muller). */
  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with N(mean, std²) draws. */
  fillNormal(out: Float32Array | Float64Array, std = 1, mean = 0): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }

  /** Fills `out` with uniform draws in [lo, hi). */
  fillUniform(out: Float32Array | Float64Array, lo: number, hi: number): void {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
  }

  /** n random signs, ±1. */
  signs(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.nextU32() & 1) === 0 ? 1 : -1;
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
