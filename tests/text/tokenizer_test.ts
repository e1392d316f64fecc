import assert from "node:assert/strict";
import { HfTokenizer, truncatedLengths } from "../../lib/text/tokenizer.ts";

const ORACLE = new URL("../../../shared/oracle/", import.meta.url).pathname;

interface Case {
  text: string;
  text_pair?: string;
  ids: number[];
  tokens: string[];
  type_ids: number[];
  attention_mask?: number[];
  ids_no_special?: number[];
}

for (const name of ["bert-base-uncased", "roberta-base"]) {
  Deno.test(`${name}: every oracle string and pair is reproduced exactly`, async () => {
    const tok = await HfTokenizer.fromFile(`${ORACLE}tokenizers/${name}.tokenizer.json`);
    const exp = JSON.parse(await Deno.readTextFile(`${ORACLE}tokenizers/${name}.expected.json`));
    const cases: Case[] = [...exp.single, ...exp.pair];
    assert.equal(cases.length, 40);
    for (const c of cases) {
      const what = `${name} ${JSON.stringify(c.text)} / ${JSON.stringify(c.text_pair)}`;
      const e = tok.encode(c.text, c.text_pair);
      assert.deepEqual(e.ids, c.ids, what);
      assert.deepEqual(e.typeIds, c.type_ids, what);
      assert.deepEqual(e.attentionMask, c.attention_mask ?? c.ids.map(() => 1), what);
      // Rust reports an lstrip added token with the stripped space (" <mask>"): same id.
      assert.deepEqual(e.tokens.map((t) => t.trim()), c.tokens.map((t) => t.trim()), what);
      if (c.ids_no_special) assert.deepEqual(tok.encodeText(c.text).ids, c.ids_no_special, what);
    }
  });
}

Deno.test("caikit tiny BERT: padded batch inputs match the oracle", async () => {
  const dir = `${ORACLE}caikit-tiny-BertForSequenceClassification/`;
  const tok = await HfTokenizer.fromFile(`${dir}tokenizer.json`);
  const exp = JSON.parse(await Deno.readTextFile(`${dir}expected.json`));
  let rows = 0;
  for (const c of exp.cases) {
    c.text.forEach((t: string | [string, string], i: number) => {
      const e = Array.isArray(t) ? tok.encode(t[0], t[1]) : tok.encode(t);
      const len = c.inputs.input_ids[i].length;
      const pad = (a: number[], v: number) => [...a, ...Array(len - a.length).fill(v)];
      assert.deepEqual(pad(e.ids, tok.padId), c.inputs.input_ids[i]);
      assert.deepEqual(pad(e.typeIds, 0), c.inputs.token_type_ids[i]);
      assert.deepEqual(pad(e.attentionMask, 0), c.inputs.attention_mask[i]);
      rows++;
    });
  }
  assert.equal(rows, 4);
});

Deno.test("truncatedLengths follows Rust tokenizers' longest_first arithmetic", () => {
  assert.deepEqual(truncatedLengths(5, 2, 10, "longest_first"), [5, 2]); // fits
  assert.deepEqual(truncatedLengths(5, 2, 5, "longest_first"), [3, 2]); // only the longer
  assert.deepEqual(truncatedLengths(2, 5, 5, "longest_first"), [2, 3]);
  assert.deepEqual(truncatedLengths(6, 7, 9, "longest_first"), [4, 5]); // both: longer gets +1
  assert.deepEqual(truncatedLengths(7, 6, 9, "longest_first"), [5, 4]);
  assert.deepEqual(truncatedLengths(8, 8, 10, "longest_first"), [5, 5]);
  assert.deepEqual(truncatedLengths(20, 3, 3, "longest_first"), [2, 1]); // short one > half
  assert.deepEqual(truncatedLengths(12, undefined, 10, "longest_first"), [10, undefined]);
  assert.deepEqual(truncatedLengths(8, 4, 10, "only_first"), [6, 4]);
  assert.deepEqual(truncatedLengths(4, 8, 10, "only_second"), [4, 6]);
  assert.throws(() => truncatedLengths(2, 12, 10, "only_first"), /first sequence has 2 tokens/);
});

Deno.test("pairs are truncated like Hugging Face (hand-checked BERT and RoBERTa layouts)", async () => {
  const bert = await HfTokenizer.fromFile(`${ORACLE}tokenizers/bert-base-uncased.tokenizer.json`);
  const a = "hello world how are you";
  const b = "fine thanks";
  const e = bert.encode(a, b, { maxLength: 8 });
  assert.deepEqual(e.tokens, [
    "[CLS]",
    "hello",
    "world",
    "how",
    "[SEP]",
    "fine",
    "thanks",
    "[SEP]",
  ]);
  assert.deepEqual(e.ids, [101, 7592, 2088, 2129, 102, 2986, 4283, 102]);
  assert.deepEqual(e.typeIds, [0, 0, 0, 0, 0, 1, 1, 1]);
  const long = bert.encode("one two three four five six", "a b c d e f g", { maxLength: 12 });
  assert.deepEqual(long.tokens, [
    "[CLS]",
    "one",
    "two",
    "three",
    "four",
    "[SEP]",
    "a",
    "b",
    "c",
    "d",
    "e",
    "[SEP]",
  ]);
  const single = bert.encode("one two three four five six", null, { maxLength: 4 });
  assert.deepEqual(single.tokens, ["[CLS]", "one", "two", "[SEP]"]);
  assert.throws(() => bert.encode("x", "y", { maxLength: 2 }), /smaller than the 3 special/);

  const roberta = await HfTokenizer.fromFile(`${ORACLE}tokenizers/roberta-base.tokenizer.json`);
  const r = roberta.encode("Hello world how are you", "Fine thanks", { maxLength: 9 });
  assert.deepEqual(r.tokens, [
    "<s>",
    "Hello",
    "Ġworld",
    "Ġhow",
    "</s>",
    "</s>",
    "Fine",
    "Ġthanks",
    "</s>",
  ]);
  assert.deepEqual(r.typeIds, [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(roberta.numSpecialTokens(true), 4);
  assert.equal(roberta.padId, 1);
  assert.equal(bert.padId, 0);
});

Deno.test("a malformed tokenizer.json is reported with its path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/tokenizer.json`, "{ not json");
    await assert.rejects(
      HfTokenizer.fromFile(`${dir}/tokenizer.json`),
      /tokenizer\.json: invalid JSON/,
    );
    await Deno.writeTextFile(`${dir}/tokenizer.json`, '{"version": "1.0"}');
    await assert.rejects(HfTokenizer.fromFile(`${dir}/tokenizer.json`), /no `model` section/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
