/**
 * Held-out scoring of an MLM checkpoint: masked-LM loss and accuracy of the exported MLM
 * evaluation graph (`loss`, `correct`) on `eval_sequences` held-out sequences with a fixed
 * masking (the same for every checkpoint of a run), and the unigram baseline (always predicting
 * the most frequent held-out token).
 *
 * @module
 */
import type * as ort from "onnxruntime-node";
import type { EvalSession } from "../onnx/mod.ts";
import { type PackedCorpus, tokenCounts } from "./corpus.ts";
import { allocBatch, IGNORE_INDEX, maskBatch, type MaskOptions, stepPrng } from "./masking.ts";

/** Held-out masked-LM scores. */
export interface MlmScores {
  loss: number;
  accuracy: number;
  /** Masked tokens scored. */
  masked: number;
  /** Accuracy of always predicting the most frequent held-out token (the unigram baseline). */
  unigramAccuracy: number;
}

/** What is scored, and how. */
export interface HeldOutOptions {
  heldOut: PackedCorpus;
  mask: MaskOptions;
  seed: number;
  batch: number;
  seq: number;
  /** Sequences to score (rounded up to whole batches, wrapping around the held-out rows). */
  sequences: number;
}

/** Scores `params` (graph input name → tensor) with the evaluation session `sess`. */
export async function scoreHeldOut(
  sess: EvalSession,
  params: Record<string, ort.Tensor>,
  o: HeldOutOptions,
): Promise<MlmScores> {
  const { heldOut, mask: mo, batch } = o;
  const n = Math.max(batch, Math.ceil(Math.min(o.sequences, heldOut.rows) / batch) * batch);
  const counts = tokenCounts(heldOut, mo.vocabSize);
  const sp = mo.special;
  for (const id of [sp.pad, sp.cls, sp.sep, sp.mask, sp.unk]) counts[id] = 0;
  let top = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i] > counts[top]) top = i;
  const b = allocBatch(batch, o.seq, mo.positions);
  const rows = new Int32Array(batch);
  let lossSum = 0, correct = 0, masked = 0, unigram = 0;
  for (let start = 0, k = 0; start < n; start += batch, k++) {
    for (let i = 0; i < batch; i++) rows[i] = (start + i) % heldOut.rows;
    const real = maskBatch(heldOut, rows, mo, stepPrng(o.seed, k, 1), b);
    const out = await sess.run(params, {
      input_ids: { data: b.input_ids, dims: [batch, o.seq] },
      attention_mask: { data: b.attention_mask, dims: [batch, o.seq] },
      token_type_ids: { data: b.token_type_ids, dims: [batch, o.seq] },
      masked_positions: { data: b.masked_positions, dims: [batch, mo.positions] },
      labels: { data: b.labels, dims: [batch, mo.positions] },
    });
    lossSum += Number(out.loss.data[0]) * real;
    correct += Number(out.correct.data[0]);
    masked += real;
    for (const l of b.labels) if (l !== BigInt(IGNORE_INDEX) && Number(l) === top) unigram++;
  }
  return {
    loss: lossSum / masked,
    accuracy: correct / masked,
    masked,
    unigramAccuracy: unigram / masked,
  };
}
