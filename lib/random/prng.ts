/**
 * The project's one seeded pseudo-random generator: model initialisation, Fastfood, LoRA,
 * data splits and training order, MLM masking, bootstrap resampling and test inputs all draw
 * from it.
 *
 * xoshiro128** (Blackman & Vigna) with its 128-bit state filled by splitmix32. `new Prng(seed,
 * stream)` starts splitmix32 at `seed XOR fmix32(stream)` (fmix32 is splitmix32's bijective
 * finaliser, with fmix32(0) = 0), so each stream of a seed is an independent, reproducible
 * sequence (e.g. one per parameter tensor). Normals use the Box–Muller transform on two
 * 53-bit uniforms, both outputs consumed in order.
 *
 * The whole state (four uint32 words and a pending normal) is serialisable with
 * {@link Prng.getState} and restorable exactly with {@link Prng.setState}, which is what a
 * training checkpoint stores to resume. The same (seed, stream) gives the same numbers on
 * every machine: only 32-bit integer arithmetic and IEEE double `Math.log`/`Math.cos`/
 * `Math.sin`/`Math.sqrt` are used.
 *
 * @module
 */

/** A generator's complete state: four uint32 words and the pending second Box–Muller normal. */
export interface PrngState {
  /** xoshiro128**'s four state words. */
  s: [number, number, number, number];
  /** The normal that the next {@link Prng.normal} returns without drawing, if any. */
  spare: number | null;
}

/** splitmix32's output finaliser: a bijection of uint32 with fmix32(0) = 0. */
function fmix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function isWord(w: unknown): boolean {
  return Number.isInteger(w) && (w as number) >= 0 && (w as number) <= 0xffffffff;
}

/** A seeded xoshiro128** generator: uniform, integer, normal, sign and permutation draws. */
export class Prng {
  #s: [number, number, number, number];
  #spare: number | null = null;

  /** `seed` and `stream` are integers (taken modulo 2^32); non-integers are rejected. */
  constructor(seed: number, stream = 0) {
    if (!Number.isInteger(seed)) throw new TypeError(`PRNG seed must be an integer, got ${seed}`);
    if (!Number.isInteger(stream)) {
      throw new TypeError(`PRNG stream must be an integer, got ${stream}`);
    }
    let x = (seed ^ fmix32(stream)) >>> 0;
    const mix = () => {
      x = (x + 0x9e3779b9) >>> 0;
      return fmix32(x);
    };
    this.#s = [mix(), mix(), mix(), mix()];
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  /** A generator restored from a state saved by {@link Prng.getState}. */
  static fromState(state: PrngState): Prng {
    const p = new Prng(0);
    p.setState(state);
    return p;
  }

  /** A copy of the complete state (JSON-serialisable). */
  getState(): PrngState {
    return { s: [...this.#s], spare: this.#spare };
  }

  /** Restores a state saved by {@link Prng.getState}; the stream continues exactly. */
  setState(state: PrngState): void {
    const s = state?.s;
    const spare = state?.spare;
    if (
      !Array.isArray(s) || s.length !== 4 || !s.every(isWord) || s.every((w) => w === 0) ||
      !(spare === null || Number.isFinite(spare))
    ) {
      throw new TypeError(
        `PRNG state must be { s: four uint32 words, not all 0, spare: number | null }, got ${
          JSON.stringify(state)
        }`,
      );
    }
    this.#s = [s[0], s[1], s[2], s[3]];
    this.#spare = spare;
  }

  /** The next uint32. */
  next(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.next() >>> 5; // 27 bits
    const lo = this.next() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), unbiased (rejection sampling); n an integer in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new RangeError(`int bound must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.next();
      if (x < limit) return x % n;
    }
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

  /** A random sign, ±1 with equal probability. */
  sign(): 1 | -1 {
    return (this.next() >>> 31) === 0 ? 1 : -1;
  }

  /** Fills `out` with N(mean, std²) draws and returns it. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, std = 1, mean = 0): T {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fills `out` with uniform draws in [lo, hi) and returns it. */
  fillUniform<T extends Float32Array | Float64Array>(out: T, lo: number, hi: number): T {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** Shuffles `arr` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

/** A shuffled copy of `items` (Fisher–Yates); `items` is left as it is. */
export function shuffled<T>(items: readonly T[], prng: Prng): T[] {
  return prng.shuffle(items.slice());
}
