import assert from "node:assert/strict";
import type { PackedCorpus, SpecialIds } from "../../lib/pretrain/corpus.ts";
import { allocBatch, IGNORE_INDEX, maskBatch, stepPrng } from "../../lib/pretrain/masking.ts";

const SP: SpecialIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
const V = 100;

/** Rows of `seq` tokens: [CLS] words… [SEP] [PAD]…, with `len` real tokens. */
function corpusOf(rows: number, seq: number, seed: number): PackedCorpus {
  const ids = new Int32Array(rows * seq);
  const lengths = new Int32Array(rows);
  let s = seed;
  for (let r = 0; r < rows; r++) {
    const len = 3 + (r * 7) % (seq - 2);
    lengths[r] = len;
    ids[r * seq] = SP.cls;
    for (let j = 1; j < len - 1; j++) {
      s = (s * 1103515245 + 12345) >>> 0;
      ids[r * seq + j] = 5 + (s % (V - 5));
    }
    ids[r * seq + len - 1] = SP.sep;
  }
  return { seq, rows, ids, lengths, sentences: rows, tokens: 0, truncated: 0 };
}

Deno.test("masking: round(0.15·words) positions per row, never specials, labels are the originals", () => {
  const seq = 32, P = 5, B = 16;
  const c = corpusOf(B, seq, 1);
  const b = allocBatch(B, seq, P);
  const rows = Int32Array.from({ length: B }, (_, i) => i);
  const real = maskBatch(
    c,
    rows,
    { positions: P, maskProb: 0.15, vocabSize: V, special: SP },
    stepPrng(0, 1),
    b,
  );
  let total = 0;
  for (let r = 0; r < B; r++) {
    const words = c.lengths[r] - 2;
    const want = Math.min(P, Math.max(1, Math.round(words * 0.15)));
    const seen = new Set<number>();
    for (let i = 0; i < P; i++) {
      const pos = Number(b.masked_positions[r * P + i]);
      const label = Number(b.labels[r * P + i]);
      if (i >= want) {
        assert.equal(label, IGNORE_INDEX, `row ${r} slot ${i} is padding`);
        assert.equal(pos, 0);
        continue;
      }
      assert.ok(pos >= 1 && pos < c.lengths[r] - 1, `row ${r}: position ${pos} is a word`);
      assert.ok(!seen.has(pos), "positions distinct");
      seen.add(pos);
      assert.equal(label, c.ids[r * seq + pos], "label = original token");
    }
    total += want;
    // Unmasked positions are untouched; attention mask covers exactly the real tokens.
    for (let j = 0; j < seq; j++) {
      if (!seen.has(j)) assert.equal(Number(b.input_ids[r * seq + j]), c.ids[r * seq + j]);
      assert.equal(Number(b.attention_mask[r * seq + j]), j < c.lengths[r] ? 1 : 0);
    }
  }
  assert.equal(real, total);
});

Deno.test("masking: 80% [MASK], 10% random word, 10% kept; same (seed, step) gives the same batch", () => {
  const seq = 64, P = 10, B = 256;
  const c = corpusOf(B, seq, 7);
  const rows = Int32Array.from({ length: B }, (_, i) => i);
  const opts = { positions: P, maskProb: 0.15, vocabSize: V, special: SP };
  let masked = 0, kept = 0, random = 0, n = 0;
  for (let step = 1; step <= 8; step++) {
    const b = allocBatch(B, seq, P);
    maskBatch(c, rows, opts, stepPrng(3, step), b);
    for (let k = 0; k < B * P; k++) {
      if (Number(b.labels[k]) === IGNORE_INDEX) continue;
      const r = Math.floor(k / P);
      const got = Number(b.input_ids[r * seq + Number(b.masked_positions[k])]);
      n++;
      if (got === SP.mask) masked++;
      else if (got === Number(b.labels[k])) kept++;
      else {
        random++;
        assert.ok(got >= 5, `random replacement ${got} is not a special token`);
      }
    }
  }
  // ~2,000 draws: the shares are within 3 points of 80/10/10 (a random word can equal the
  // original, 1 in 95, which counts as kept).
  assert.ok(Math.abs(masked / n - 0.8) < 0.03, `mask share ${masked / n}`);
  assert.ok(Math.abs(random / n - 0.1) < 0.03, `random share ${random / n}`);
  assert.ok(Math.abs(kept / n - 0.1) < 0.03, `kept share ${kept / n}`);
  const a = allocBatch(B, seq, P), b = allocBatch(B, seq, P), d = allocBatch(B, seq, P);
  maskBatch(c, rows, opts, stepPrng(3, 5), a);
  maskBatch(c, rows, opts, stepPrng(3, 5), b);
  maskBatch(c, rows, opts, stepPrng(3, 6), d);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.masked_positions, d.masked_positions);
});
