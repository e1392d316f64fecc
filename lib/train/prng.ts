/**
 * A small seeded PRNG (xoshiro128**) whose whole state is four uint32 words, so it can be
 * checkpointed and restored exactly. Used for the training data order.
 *
 * @module
 */

/** The PRNG's complete state: four unsigned 32-bit words. */
export type PrngState = [number, number, number, number];

/** splitmix32: expands a seed into well-mixed words. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** xoshiro128** seeded from an integer; deterministic across platforms. */
export class Prng {
  #s: PrngState;

  /** Seeds from an integer (any 32-bit value; non-integers are rejected). */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`PRNG seed must be an integer, got ${seed}`);
    const mix = splitmix32(seed);
    this.#s = [mix(), mix(), mix(), mix()];
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  /** A PRNG restored from a saved state. */
  static fromState(state: PrngState): Prng {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new TypeError(`PRNG state must be four uint32 words, got ${JSON.stringify(state)}`);
    }
    const p = new Prng(0);
    p.#s = [state[0], state[1], state[2], state[3]];
    return p;
  }

  /** A copy of the current state. */
  state(): PrngState {
    return [...this.#s];
  }

  /** The next uint32. */
  nextU32(): number {
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

  /** A uniform integer in [0, n), unbiased (rejection sampling). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new RangeError(`nextInt bound must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Shuffles `arr` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }
}
