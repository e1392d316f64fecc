import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { Graph } from "../../lib/onnx/graph.ts";
import { toModelProto } from "../../lib/onnx/serialize.ts";
import { type EncoderConfig, parseConfig, readConfig } from "../../lib/models/config.ts";
import { encoder, encoderInputs } from "../../lib/models/encoder.ts";
import { mlmHead, pooler, seqClsHead } from "../../lib/models/heads.ts";
import { readOnnxInitializers, readTensorProto } from "../../lib/models/onnx_weights.ts";
import { frozenSource } from "../../lib/models/parameterize/frozen.ts";
import { canonicalName } from "../../lib/models/params.ts";
import { convertSafetensors } from "../../lib/models/safetensors.ts";
import { readWeightsIndex, WeightsWriter } from "../../lib/models/weights_file.ts";
import { ORACLE } from "../oracle_path.ts";

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Builds the forward graph of the model in `dir` and runs it on `feeds`. */
async function forward(
  dir: string,
  c: EncoderConfig,
  head: "seqcls" | "model" | "mlm",
  feeds: Record<string, number[][]>,
) {
  const g = new Graph();
  const inp = encoderInputs(g, c);
  const src = frozenSource(g, readWeightsIndex(dir));
  const out = encoder(c, src, inp);
  out.hiddenStates.forEach((h, i) => g.output(h, `hidden_${i}`));
  if (head === "seqcls") g.output(seqClsHead(c, src, out.last), "logits");
  if (head === "model") g.output(pooler(src, out.last), "pooler");
  if (head === "mlm") g.output(mlmHead(c, src, out.last), "mlm");
  writeFileSync(join(dir, "model.onnx"), toModelProto(g));
  const sess = await ort.InferenceSession.create(join(dir, "model.onnx"));
  const B = feeds.input_ids.length, S = feeds.input_ids[0].length;
  const t = (a: number[][]) =>
    new ort.Tensor("int64", BigInt64Array.from(a.flat().map(BigInt)), [B, S]);
  const f: Record<string, ort.Tensor> = {
    input_ids: t(feeds.input_ids),
    attention_mask: t(feeds.attention_mask),
  };
  if (inp.tokenTypeIds) f.token_type_ids = t(feeds.token_type_ids);
  const r = await sess.run(f);
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array]));
}

for (const name of ["bert-model", "bert-seqcls", "roberta-model", "roberta-seqcls"]) {
  Deno.test(`forward: every hidden state and the logits match transformers (${name})`, async () => {
    const src = `${ORACLE}/hf-generated/${name}`;
    const dir = mkdtempSync(join(tmpdir(), "idim-fwd-"));
    try {
      const c = readConfig(`${src}/config.json`);
      convertSafetensors(`${src}/model.safetensors`, dir, c);
      const exp = JSON.parse(readFileSync(`${src}/expected.json`, "utf8"));
      const head = name.endsWith("seqcls") ? "seqcls" : "model";
      const r = await forward(dir, c, head, exp.inputs);
      assert.equal(exp.outputs.hidden_states.length, c.numLayers + 1);
      exp.outputs.hidden_states.forEach((h: { data: number[] }, i: number) => {
        assert.ok(maxAbs(r[`hidden_${i}`], h.data) <= 1e-4, `hidden state ${i}`);
      });
      if (head === "seqcls") assert.ok(maxAbs(r.logits, exp.outputs.logits.data) <= 1e-4);
      else {
        assert.ok(maxAbs(r[`hidden_${c.numLayers}`], exp.outputs.last_hidden_state.data) <= 1e-4);
        assert.ok(maxAbs(r.pooler, exp.outputs.pooler_output.data) <= 1e-4);
      }
      // The recorded ONNX Runtime outputs of the fixture agree as well.
      const o0 = readTensorProto(`${src}/test_data_set_0/output_0.pb`);
      const mine = head === "seqcls" ? r.logits : r[`hidden_${c.numLayers}`];
      assert.ok(maxAbs(mine, o0.data) <= 1e-4, `recorded ${o0.name}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

Deno.test("forward: caikit tiny BertForSequenceClassification (real tokenizer ids)", async () => {
  const src = `${ORACLE}/caikit-tiny-BertForSequenceClassification`;
  const dir = mkdtempSync(join(tmpdir(), "idim-fwd-"));
  try {
    const c = readConfig(`${src}/config.json`);
    convertSafetensors(`${src}/model.safetensors`, dir, c);
    const exp = JSON.parse(readFileSync(`${src}/expected.json`, "utf8"));
    for (const cs of exp.cases) {
      const r = await forward(dir, c, "seqcls", cs.inputs);
      assert.ok(maxAbs(r.logits, cs.logits.data) <= 1e-4);
      assert.ok(maxAbs(r[`hidden_${c.numLayers}`], cs.last_hidden_state.data) <= 1e-4);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("forward: ort bert_toy (BertForPreTraining) MLM scores from its own initializers", async () => {
  const src = `${ORACLE}/ort-bert_toy`;
  const dir = mkdtempSync(join(tmpdir(), "idim-fwd-"));
  try {
    const inits = readOnnxInitializers(`${src}/bert_toy_optimized.onnx`);
    const c = parseConfig({
      model_type: "bert",
      vocab_size: 99,
      hidden_size: 32,
      num_hidden_layers: 5,
      num_attention_heads: 4,
      intermediate_size: 37,
      type_vocab_size: 16,
      max_position_embeddings: 512,
    });
    const w = new WeightsWriter(dir);
    for (const [k, t] of inits) {
      const name = canonicalName(k.replace(/_transposed$/, ""));
      if (!name || name.startsWith("cls.seq_relationship")) continue;
      w.add(name, t.dims, Float32Array.from(t.data)); // `_transposed` is already [in, out]
    }
    w.finish();
    const ids = readTensorProto(`${src}/test_data_set_0/input_0.pb`);
    const types = readTensorProto(`${src}/test_data_set_0/input_1.pb`);
    const mask = readTensorProto(`${src}/test_data_set_0/input_2.pb`);
    const rows = (t: { dims: number[]; data: ArrayLike<number> }) =>
      Array.from(
        { length: t.dims[0] },
        (_, i) => Array.from(t.data).slice(i * t.dims[1], (i + 1) * t.dims[1]),
      );
    const r = await forward(dir, c, "mlm", {
      input_ids: rows(ids),
      token_type_ids: rows(types),
      attention_mask: rows(mask),
    });
    const scores = readTensorProto(`${src}/test_data_set_0/output_0.pb`);
    assert.equal(scores.name, "prediction_scores");
    assert.ok(maxAbs(r.mlm, scores.data) <= 1e-4, `max diff ${maxAbs(r.mlm, scores.data)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
