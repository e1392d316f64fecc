import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, readConfig } from "../../lib/models/config.ts";
import { initWeights } from "../../lib/models/init.ts";
import { readOnnxInitializers } from "../../lib/models/onnx_weights.ts";
import { convertSafetensors, readSafetensorsHeader } from "../../lib/models/safetensors.ts";
import {
  readWeightsIndex,
  readWeightsTensor,
  WEIGHTS_ALIGN,
} from "../../lib/models/weights_file.ts";
import { ORACLE } from "../oracle_path.ts";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "idim-models-"));
}

Deno.test("config.json of both families parses; bad keys are named", () => {
  const b = readConfig(`${ORACLE}/hf-generated/bert-seqcls/config.json`);
  assert.equal(b.family, "bert");
  assert.equal(b.numLabels, 3);
  assert.equal(b.padTokenId, 0);
  const r = readConfig(`${ORACLE}/hf-generated/roberta-seqcls/config.json`);
  assert.equal(r.family, "roberta");
  assert.equal(r.padTokenId, 1);
  assert.equal(r.layerNormEps, 1e-5);
  assert.throws(
    () => parseConfig({ model_type: "gpt2" }, "x/config.json"),
    /x\/config.json: key "model_type"/,
  );
  assert.throws(
    () => parseConfig({ ...JSON.parse(JSON.stringify(b)), model_type: "bert", hidden_act: "relu" }),
    /hidden_act/,
  );
});

Deno.test("safetensors → weights file: canonical names, 64-byte aligned, Linear [in, out]", () => {
  const dir = tmp();
  try {
    const src = `${ORACLE}/hf-generated/bert-seqcls`;
    const config = readConfig(`${src}/config.json`);
    const { index } = convertSafetensors(`${src}/model.safetensors`, dir, config);
    const idx = readWeightsIndex(dir);
    assert.deepEqual(idx, index);
    for (const e of Object.values(idx.tensors)) assert.equal(e.offset % WEIGHTS_ALIGN, 0);
    assert.ok(idx.tensors["classifier.weight"]);
    assert.deepEqual(idx.tensors["encoder.layer.0.intermediate.dense.weight"].shape, [32, 37]);
    // The transposed weights equal the ONNX export's `<name>_transposed` initializers.
    const onnx = readOnnxInitializers(`${src}/model.onnx`);
    const name = "encoder.layer.1.intermediate.dense.weight";
    const ref = onnx.get(`bert.${name}_transposed`) ?? onnx.get(`${name}_transposed`);
    assert.ok(ref, "fixture initializer present");
    assert.deepEqual(Array.from(readWeightsTensor(dir, idx, name)), Array.from(ref.data));
    const emb = onnx.get("bert.embeddings.word_embeddings.weight")!;
    assert.deepEqual(
      Array.from(readWeightsTensor(dir, idx, "embeddings.word_embeddings.weight")),
      Array.from(emb.data),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("bf16 tensors are converted to float32; a wrong shape names the tensor", () => {
  const dir = tmp();
  try {
    const src = `${ORACLE}/hf-generated/roberta-model`;
    const config = readConfig(`${src}/config.json`);
    // Rewrite the checkpoint with every tensor in bf16 (top 16 bits of each float32).
    const buf = new Uint8Array(readFileSync(`${src}/model.safetensors`));
    const entries = readSafetensorsHeader(`${src}/model.safetensors`);
    const header: Record<string, unknown> = {};
    const parts: Uint8Array[] = [];
    let off = 0;
    for (const e of entries) {
      const f32 = new Float32Array(buf.slice(e.begin, e.end).buffer);
      const u16 = new Uint16Array(f32.length);
      const u32 = new Uint32Array(f32.buffer);
      for (let i = 0; i < f32.length; i++) u16[i] = u32[i] >>> 16;
      parts.push(new Uint8Array(u16.buffer));
      header[e.name] = { dtype: "BF16", shape: e.shape, data_offsets: [off, off + u16.byteLength] };
      off += u16.byteLength;
    }
    const hb = new TextEncoder().encode(JSON.stringify(header));
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(hb.length), true);
    const path = join(dir, "bf16.safetensors");
    writeFileSync(path, new Uint8Array([...len, ...hb, ...parts.flatMap((p) => [...p])]));
    const out = join(dir, "out");
    Deno.mkdirSync(out);
    const { index } = convertSafetensors(path, out, config);
    const got = readWeightsTensor(out, index, "embeddings.LayerNorm.weight");
    const e = entries.find((x) => x.name === "embeddings.LayerNorm.weight")!;
    const orig = new Float32Array(buf.slice(e.begin, e.end).buffer);
    for (let i = 0; i < got.length; i++) {
      assert.ok(Math.abs(got[i] - orig[i]) <= Math.abs(orig[i]) * 2 ** -7);
    }
    // A config that disagrees with the checkpoint fails before any output appears.
    const bad = join(dir, "bad");
    Deno.mkdirSync(bad);
    assert.throws(
      () => convertSafetensors(path, bad, { ...config, intermediateSize: 40 }),
      /intermediate.dense.bias" has shape \[37\], config.json implies \[40\]/,
    );
    assert.deepEqual([...Deno.readDirSync(bad)], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("initWeights: N(0, 0.02), LayerNorm 1/0, biases 0, same seed same weights", () => {
  const a = tmp(), b = tmp(), c = tmp();
  try {
    const config = readConfig(`${ORACLE}/hf-generated/bert-model/config.json`);
    const ia = initWeights(config, 7, a);
    initWeights(config, 7, b);
    initWeights(config, 8, c);
    assert.deepEqual(readFileSync(join(a, "weights.bin")), readFileSync(join(b, "weights.bin")));
    assert.notDeepEqual(readFileSync(join(a, "weights.bin")), readFileSync(join(c, "weights.bin")));
    const w = readWeightsTensor(a, ia, "embeddings.word_embeddings.weight");
    let s2 = 0;
    for (let i = 32; i < w.length; i++) s2 += w[i] * w[i];
    assert.ok(Math.abs(Math.sqrt(s2 / (w.length - 32)) - 0.02) < 0.001);
    assert.ok(w.slice(0, 32).every((x) => x === 0), "padding row is zero");
    const ln = readWeightsTensor(a, ia, "encoder.layer.2.output.LayerNorm.weight");
    assert.ok(ln.every((x) => x === 1));
    assert.ok(readWeightsTensor(a, ia, "cls.predictions.bias").every((x) => x === 0));
  } finally {
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
});
