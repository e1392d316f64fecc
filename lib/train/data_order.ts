/**
 * Deterministic training data order: each epoch is a permutation of the examples drawn from a
 * seeded PRNG; batches take the next `batchSize` indices and run on into the next epoch, so
 * every batch is full. The order is fully described by a small serialisable state, which is
 * what a checkpoint stores to resume mid-epoch.
 *
 * @module
 */
import { Prng, type PrngState } from "../random/mod.ts";

/** Everything needed to continue the data order exactly where it stopped. */
export interface DataOrderState {
  /** PRNG state at the start of the current epoch (the permutation is redrawn from it). */
  epochPrng: PrngState;
  /** Current epoch, from 0. */
  epoch: number;
  /** Position within the current epoch's permutation. */
  cursor: number;
}

/** Iterates example indices in seeded, epoch-shuffled order. */
export class DataOrder {
  readonly size: number;
  #prng: Prng;
  #epochPrng: PrngState;
  #epoch: number;
  #cursor: number;
  #perm: Int32Array;

  /** Starts epoch 0 for `size` examples with the given seed. */
  constructor(size: number, seed: number, state?: DataOrderState) {
    if (!Number.isInteger(size) || size <= 0) {
      throw new RangeError(`data order needs a positive example count, got ${size}`);
    }
    this.size = size;
    if (state) {
      this.#prng = Prng.fromState(state.epochPrng);
      this.#epoch = state.epoch;
      this.#epochPrng = this.#prng.getState();
      this.#perm = this.#draw();
      if (!(state.cursor >= 0 && state.cursor <= size)) {
        throw new RangeError(`data order cursor ${state.cursor} outside [0, ${size}]`);
      }
      this.#cursor = state.cursor;
    } else {
      this.#prng = new Prng(seed);
      this.#epoch = 0;
      this.#epochPrng = this.#prng.getState();
      this.#perm = this.#draw();
      this.#cursor = 0;
    }
  }

  #draw(): Int32Array {
    const perm = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) perm[i] = i;
    return this.#prng.shuffle(perm);
  }

  /** The current state (to checkpoint). */
  state(): DataOrderState {
    return {
      epochPrng: { s: [...this.#epochPrng.s], spare: this.#epochPrng.spare },
      epoch: this.#epoch,
      cursor: this.#cursor,
    };
  }

  /** The current epoch (0-based). */
  get epoch(): number {
    return this.#epoch;
  }

  /** The next `n` example indices, crossing into a freshly shuffled epoch when needed. */
  next(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (this.#cursor >= this.size) {
        this.#epoch++;
        this.#epochPrng = this.#prng.getState();
        this.#perm = this.#draw();
        this.#cursor = 0;
      }
      out[i] = this.#perm[this.#cursor++];
    }
    return out;
  }
}
