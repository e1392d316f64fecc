import assert from "node:assert/strict";
import { join } from "node:path";
import { writePreparedTask } from "../../lib/data/prepare.ts";
import { readTokensMeta, readTokenTensors } from "../../lib/data/token_tensors.ts";
import { HfTokenizer } from "../../lib/text/tokenizer.ts";
import { stage as embeddedTokenizer } from "../../stages/embedded_tokenizer.ts";
import { stage as tokenize } from "../../stages/tokenize.ts";
import { runStage } from "./stage_context.ts";

const ORACLE = new URL("../../../shared/oracle/tokenizers/", import.meta.url).pathname;

/** A dataset artifact with a few hand-picked pairs. */
async function dataset(dir: string): Promise<void> {
  const rows = [
    { text_a: "hello", text_b: "world", label: 1 },
    { text_a: "one two three four five six", text_b: "a b c d e f g", label: 0 },
    { text_a: "A", text_b: "", label: 1 },
  ];
  const prov = { from: ["x"], how: "all", rows: 3, labelCounts: [1, 2] };
  await writePreparedTask(dir, {
    rows: { train: rows, select: rows.slice(0, 1), report: rows.slice(1) },
    meta: {
      task: "toy",
      source: { type: "test" },
      pair: true,
      labelNames: ["no", "yes"],
      metrics: ["accuracy"],
      primaryMetric: "accuracy",
      policy: { name: "holdout", description: "test", seed: 0, selectFraction: 0.1 },
      splits: { train: prov, select: prov, report: prov },
    },
  });
}

async function tokenizerDir(name: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "idim-tok-" });
  await Deno.copyFile(`${ORACLE}${name}.tokenizer.json`, join(dir, "tokenizer.json"));
  return dir;
}

const params = (maxLength: number) => ({
  dataset: { kind: "download-dataset", params: { task: "toy" } },
  tokenizer: { kind: "download-model", params: { name: "x" } },
  max_length: maxLength,
});

Deno.test("tokenize writes padded int32 tensors that read back as Hugging Face encodes them", async () => {
  const data = await Deno.makeTempDir({ prefix: "idim-ds-" });
  await dataset(data);
  for (const name of ["bert-base-uncased", "roberta-base"]) {
    const tokDir = await tokenizerDir(name);
    const { outDir, scratchDir } = await runStage(tokenize, params(12), {
      dataset: data,
      tokenizer: tokDir,
    });
    const tok = await HfTokenizer.fromFile(join(tokDir, "tokenizer.json"));
    const meta = await readTokensMeta(outDir);
    assert.equal(meta.maxLength, 12);
    assert.equal(meta.padId, tok.padId);
    const t = await readTokenTensors(outDir, "train");
    assert.equal(t.rows, 3);
    assert.deepEqual([...t.labels], [1, 0, 1]);
    assert.equal(t.header.truncatedRows, 1);
    const row = (a: Int32Array, i: number) => [...a.subarray(i * 12, (i + 1) * 12)];
    const pairs: [string, string][] = [["hello", "world"], [
      "one two three four five six",
      "a b c d e f g",
    ], [
      "A",
      "",
    ]];
    pairs.forEach(([a, b], i) => {
      const e = tok.encode(a, b, { maxLength: 12 });
      const pad = (x: number[], v: number) => [...x, ...Array(12 - x.length).fill(v)];
      assert.deepEqual(row(t.inputIds, i), pad(e.ids, tok.padId), `${name} row ${i}`);
      assert.deepEqual(row(t.attentionMask, i), pad(e.attentionMask, 0));
      assert.deepEqual(row(t.tokenTypeIds, i), pad(e.typeIds, 0));
    });
    if (name === "bert-base-uncased") {
      // [CLS] hello [SEP] world [SEP] + 7 × [PAD], types 0 0 0 1 1
      assert.deepEqual(row(t.inputIds, 0), [101, 7592, 102, 2088, 102, 0, 0, 0, 0, 0, 0, 0]);
      assert.deepEqual(row(t.tokenTypeIds, 0), [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    } else {
      // <s> hello </s></s> world </s> + <pad> (id 1), all type 0
      assert.deepEqual(row(t.inputIds, 0), [0, 42891, 2, 2, 8331, 2, 1, 1, 1, 1, 1, 1]);
      assert.deepEqual(row(t.tokenTypeIds, 0), new Array(12).fill(0));
    }
    assert.equal((await readTokenTensors(outDir, "report")).rows, 2);
    for (const d of [outDir, scratchDir, tokDir]) await Deno.remove(d, { recursive: true });
  }
  await Deno.remove(data, { recursive: true });
});

Deno.test("a truncated tensor file is reported with its path and sizes", async () => {
  const data = await Deno.makeTempDir({ prefix: "idim-ds-" });
  await dataset(data);
  const tokDir = await tokenizerDir("bert-base-uncased");
  const { outDir, scratchDir } = await runStage(tokenize, params(8), {
    dataset: data,
    tokenizer: tokDir,
  });
  const f = join(outDir, "train.input_ids.bin");
  await Deno.writeFile(f, (await Deno.readFile(f)).slice(0, 10));
  await assert.rejects(
    readTokenTensors(outDir, "train"),
    /train\.input_ids\.bin: 10 bytes, expected 96/,
  );
  for (const d of [data, tokDir, outDir, scratchDir]) await Deno.remove(d, { recursive: true });
});

Deno.test("embedded-tokenizer: full vocabulary, or restricted to the pretraining corpus", async () => {
  const full = await runStage(embeddedTokenizer, {});
  const tok = await HfTokenizer.fromFile(join(full.outDir, "tokenizer.json"));
  assert.equal(tok.vocabSize, 30522);
  const small = await runStage(embeddedTokenizer, { vocab_size: 2000 });
  const st = await HfTokenizer.fromFile(join(small.outDir, "tokenizer.json"));
  assert.equal(st.vocabSize, 2000);
  const map = JSON.parse(await Deno.readTextFile(join(small.outDir, "vocab_map.json")));
  assert.equal(map.keptIds.length, 2000);
  assert.ok(map.coverage > 0.5 && map.coverage < 1, String(map.coverage));
  const e = st.encode("The film was good.");
  assert.ok(!e.tokens.includes("[UNK]"));
  for (const d of [full.outDir, full.scratchDir, small.outDir, small.scratchDir]) {
    await Deno.remove(d, { recursive: true });
  }
});
