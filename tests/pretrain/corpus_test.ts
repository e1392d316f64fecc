import assert from "node:assert/strict";
import { isHeldOut, packSentences, type SpecialIds } from "../../lib/pretrain/corpus.ts";

const SP: SpecialIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };

Deno.test("packing: [CLS] s1 [SEP] s2 [SEP]…, every sentence once, long ones truncated to seq − 2", () => {
  const sentences: Int32Array[] = [];
  for (let i = 0; i < 200; i++) {
    const len = 1 + (i * 13) % 40; // up to 40 tokens; seq 32 truncates the longest
    sentences.push(Int32Array.from({ length: len }, (_, j) => 100 + i * 50 + (j % 50)));
  }
  const seq = 32;
  const c = packSentences(sentences, seq, SP, 5);
  let found = 0, truncated = 0;
  const firstTokens = new Set<number>();
  for (let r = 0; r < c.rows; r++) {
    const row = c.ids.subarray(r * seq, (r + 1) * seq);
    const len = c.lengths[r];
    assert.ok(len <= seq && len >= 3);
    assert.equal(row[0], SP.cls);
    assert.equal(row[len - 1], SP.sep);
    for (let j = len; j < seq; j++) assert.equal(row[j], SP.pad, "padding after the last [SEP]");
    let start = 1;
    for (let j = 1; j < len; j++) {
      if (row[j] !== SP.sep) continue;
      const s = row.subarray(start, j);
      const idx = (s[0] - 100 - (s[0] - 100) % 50) / 50;
      const orig = sentences[idx];
      assert.deepEqual(Array.from(s), Array.from(orig.subarray(0, seq - 2)));
      if (orig.length > seq - 2) truncated++;
      firstTokens.add(idx);
      found++;
      start = j + 1;
    }
  }
  assert.equal(found, 200);
  assert.equal(firstTokens.size, 200);
  assert.equal(c.truncated, truncated);
  assert.ok(truncated > 0);
  // Packing fills rows: far fewer rows than sentences.
  assert.ok(c.rows < 170, `${c.rows} rows`);
  // Deterministic in the seed, different for another seed.
  assert.deepEqual(packSentences(sentences, seq, SP, 5).ids, c.ids);
  assert.notDeepEqual(packSentences(sentences, seq, SP, 6).ids, c.ids);
});

Deno.test("held-out split: every 50th sentence", () => {
  const held = Array.from({ length: 1000 }, (_, i) => i).filter(isHeldOut);
  assert.equal(held.length, 20);
  assert.equal(held[0], 49);
});
