/**
 * BERT's masked-language-model corruption, in JS, into fixed-width gathered positions.
 *
 * Per sequence, `n = min(P, max(1, round(candidates · maskProb)))` positions are chosen uniformly
 * among the non-special tokens (as Google BERT's `create_pretraining_data.py` does; HF's data
 * collator draws Bernoulli(0.15) per token instead, whose count varies, which a fixed-width
 * gather cannot take). Each chosen token becomes `[MASK]` with probability 0.8, a uniformly
 * random non-special token with 0.1, and stays with 0.1; its label is the original token. The
 * remaining `P − n` slots point at position 0 with label −100, which the loss ignores
 * (`SoftmaxCrossEntropyLoss` `ignore_index = −100`, mean over the real labels only).
 *
 * Randomness comes from one PRNG per (seed, step) ({@link stepPrng}), so a batch is a pure
 * function of the step: a resumed or chained run masks exactly as a straight one.
 *
 * @module
 */
import { Prng } from "../random/mod.ts";
import type { PackedCorpus, SpecialIds } from "./corpus.ts";

/** The label of a padding slot. */
export const IGNORE_INDEX = -100;

/** One batch as the MLM graphs take it (int64, row-major). */
export interface MlmBatch {
  input_ids: BigInt64Array;
  attention_mask: BigInt64Array;
  token_type_ids: BigInt64Array;
  masked_positions: BigInt64Array;
  labels: BigInt64Array;
}

/** Allocates a batch of `batch` × `seq` with `positions` masked slots per row. */
export function allocBatch(batch: number, seq: number, positions: number): MlmBatch {
  return {
    input_ids: new BigInt64Array(batch * seq),
    attention_mask: new BigInt64Array(batch * seq),
    token_type_ids: new BigInt64Array(batch * seq),
    masked_positions: new BigInt64Array(batch * positions),
    labels: new BigInt64Array(batch * positions),
  };
}

/** The PRNG of step `step` (1-based) of a run seeded `seed`; `stream` separates uses. */
export function stepPrng(seed: number, step: number, stream = 0): Prng {
  let h = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ Math.imul(stream + 1, 0xc2b2ae35);
  return new Prng((h ^ (h >>> 13)) >>> 0);
}

/** Masking settings. */
export interface MaskOptions {
  positions: number;
  maskProb: number;
  vocabSize: number;
  special: SpecialIds;
}

/**
 * Fills `out` with rows `rows` of `corpus`, masked with `rng`. Returns the number of real
 * (non-ignored) labels.
 */
export function maskBatch(
  corpus: PackedCorpus,
  rows: ArrayLike<number>,
  o: MaskOptions,
  rng: Prng,
  out: MlmBatch,
): number {
  const S = corpus.seq, P = o.positions;
  const sp = o.special;
  const isSpecial = (id: number) =>
    id === sp.pad || id === sp.cls || id === sp.sep || id === sp.mask || id === sp.unk;
  if (o.vocabSize <= 5) throw new Error(`masking: vocabulary of ${o.vocabSize} has no words`);
  const cand = new Int32Array(S);
  let real = 0;
  for (let b = 0; b < rows.length; b++) {
    const r = rows[b];
    const len = corpus.lengths[r];
    const base = r * S;
    let nc = 0;
    for (let j = 0; j < S; j++) {
      const id = corpus.ids[base + j];
      out.input_ids[b * S + j] = BigInt(id);
      out.attention_mask[b * S + j] = j < len ? 1n : 0n;
      out.token_type_ids[b * S + j] = 0n;
      if (j < len && !isSpecial(id)) cand[nc++] = j;
    }
    const n = nc === 0 ? 0 : Math.min(P, Math.max(1, Math.round(nc * o.maskProb)));
    // Partial Fisher–Yates: the first n entries of cand become a uniform sample.
    for (let i = 0; i < n; i++) {
      const k = i + rng.int(nc - i);
      const t = cand[i];
      cand[i] = cand[k];
      cand[k] = t;
    }
    const chosen = cand.subarray(0, n).sort();
    for (let i = 0; i < P; i++) {
      const slot = b * P + i;
      if (i >= n) {
        out.masked_positions[slot] = 0n;
        out.labels[slot] = BigInt(IGNORE_INDEX);
        continue;
      }
      const j = chosen[i];
      const orig = corpus.ids[base + j];
      out.masked_positions[slot] = BigInt(j);
      out.labels[slot] = BigInt(orig);
      const u = rng.next();
      if (u < 0.8 * 4294967296) out.input_ids[b * S + j] = BigInt(sp.mask);
      else if (u < 0.9 * 4294967296) {
        let id: number;
        do id = rng.int(o.vocabSize); while (isSpecial(id));
        out.input_ids[b * S + j] = BigInt(id);
      }
    }
    real += n;
  }
  return real;
}
