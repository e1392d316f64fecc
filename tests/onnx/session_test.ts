/** Session wrapper, external data, checkpoints, hyper-parameters, dropout masks. */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import * as o from "../../lib/onnx/mod.ts";

/** A linear model with a frozen external weight W (x·W) and a trainable head. */
function model(ref: o.ExternalRef, extra?: (g: o.Graph) => o.Tensor) {
  const g = new o.Graph();
  const x = g.input("x", "float32", ["B", 4]);
  const y = g.input("y", "int64", ["B"]);
  const W = g.external("W", "float32", [4, 4], ref);
  const head = g.input("head", "float32", [4, 2]);
  let h = o.tanh(o.matmul(x, W));
  if (extra) h = o.add(h, extra(g));
  const loss = o.softmaxCrossEntropy(o.matmul(h, head), y);
  return { g, loss, head };
}

const batch = {
  x: { data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), dims: [8, 4] },
  y: { data: BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i % 2)), dims: [8] },
};

Deno.test("external-data weights: loaded by path, memory-mapped, shared by two graphs", async () => {
  const dir = Deno.makeTempDirSync();
  const ww = new o.WeightsWriter(join(dir, "weights.bin"));
  ww.append(new Float32Array(3)); // something before, to exercise alignment
  const W = Float32Array.from({ length: 16 }, (_, i) => (i % 5) / 5 - 0.4);
  const ref = ww.append(W);
  ww.close();
  assert.equal(ref.offset % 64, 0);
  assert.deepEqual(new Float32Array(o.readExternal(dir, ref).buffer), W);
  const { g, loss, head } = model(ref);
  const spec = o.buildTrainGraph(g, {
    loss,
    params: [head],
    optimizer: { type: "adamw", lr: 0.1 },
  });
  o.saveModel(g, join(dir, "train.onnx"), spec);
  const e = new o.Graph();
  const xe = e.input("x", "float32", ["B", 4]);
  const He = e.input("head", "float32", [4, 2]);
  const We = e.external("W", "float32", [4, 4], ref);
  const espec = o.buildEvalGraph(e, [He], { logits: o.matmul(o.tanh(o.matmul(xe, We)), He) });
  o.saveModel(e, join(dir, "eval.onnx"), espec);
  // The spec round-trips through JSON next to the model.
  const spec2 = JSON.parse(Deno.readTextFileSync(join(dir, "train.onnx.json"))) as o.TrainSpec;
  assert.deepEqual(spec2, spec);
  const sess = await o.TrainSession.create(join(dir, "train.onnx"), spec2, {
    head: new Float32Array(8).fill(0.1),
  }, { disablePrepacking: true });
  const ev = await o.EvalSession.create(join(dir, "eval.onnx"), espec, { disablePrepacking: true });
  const maps = Deno.readTextFileSync("/proc/self/maps");
  assert.ok(maps.includes(join(dir, "weights.bin")), "weights.bin is memory-mapped");
  const l1 = await sess.step(batch);
  const l2 = await sess.step(batch);
  assert.ok(l2 < l1);
  const out = await ev.run(sess.paramTensors(), { x: batch.x });
  assert.deepEqual(out.logits.dims, [8, 2]);
  await sess.release();
  await ev.release();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("external data beyond 2 GB offsets (sparse file) loads", async () => {
  const dir = Deno.makeTempDirSync();
  const path = join(dir, "weights.bin");
  const offset = 2 ** 31 + 4096;
  const W = Float32Array.from({ length: 16 }, (_, i) => i / 16);
  const f = Deno.openSync(path, { write: true, create: true });
  f.truncateSync(offset);
  f.seekSync(offset, Deno.SeekMode.Start);
  f.writeSync(new Uint8Array(W.buffer));
  f.close();
  const g = new o.Graph();
  const x = g.input("x", "float32", [1, 4]);
  g.output(
    o.matmul(
      x,
      g.external("W", "float32", [4, 4], { location: "weights.bin", offset, length: 64 }),
    ),
    "y",
  );
  o.saveModel(g, join(dir, "m.onnx"));
  const s = await ort.InferenceSession.create(join(dir, "m.onnx"));
  const out = await s.run({
    x: new ort.Tensor("float32", Float32Array.from([1, 0, 0, 1]), [1, 4]),
  });
  assert.deepEqual(
    Array.from(out.y.data as Float32Array),
    [0, 1, 2, 3].map((j) => W[j] + W[12 + j]),
  );
  await s.release();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("getState/setState resumes exactly; setHyper changes the learning rate", async () => {
  const dir = Deno.makeTempDirSync();
  const ww = new o.WeightsWriter(join(dir, "weights.bin"));
  const ref = ww.append(Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)));
  ww.close();
  const { g, loss, head } = model(ref);
  const spec = o.buildTrainGraph(g, {
    loss,
    params: [head],
    optimizer: {
      type: "adamw",
      lr: 0.05,
      weightDecay: 0.1,
      schedule: { warmupSteps: 2, totalSteps: 20 },
    },
  });
  o.saveModel(g, join(dir, "train.onnx"), spec);
  const s = await o.TrainSession.create(join(dir, "train.onnx"), spec, {
    head: Float32Array.from({ length: 8 }, (_, i) => i / 10),
  }, { intraOpNumThreads: 1 });
  for (let i = 0; i < 3; i++) await s.step(batch);
  const ck = s.getState();
  assert.equal(ck.step, 3);
  assert.deepEqual(Object.keys(ck.tensors).sort(), ["head", "head.m", "head.v"]);
  const a = [await s.step(batch), await s.step(batch)];
  const headA = s.get("head").slice();
  s.setState(ck);
  const b = [await s.step(batch), await s.step(batch)];
  assert.deepEqual(b, a);
  assert.deepEqual(s.get("head"), headA);
  // lr = 0 (and decoupled decay lr·wd = 0): parameters stay put.
  s.setHyper("lr", 0);
  const before = s.get("head").slice();
  await s.step(batch);
  assert.deepEqual(s.get("head"), before);
  assert.equal(Number(s.last.lr.data[0]), 0);
  assert.throws(() => s.setHyper("nope", 1), /unknown hyper-parameter nope/);
  await assert.rejects(() => s.step({ x: batch.x } as never), /missing batch input y/);
  await s.release();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("dropout masks from fillDropoutMask are a pure function of (seed, step)", async () => {
  const a = new Float32Array(10000), b = new Float32Array(10000), c = new Float32Array(10000);
  o.fillDropoutMask(a, 0.1, 42, 7);
  o.fillDropoutMask(b, 0.1, 42, 7);
  o.fillDropoutMask(c, 0.1, 42, 8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const kept = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(kept - 0.9) < 0.02, `keep rate ${kept}`);
  // Used as a graph input: y = x · mask / (1 − ratio).
  const g = new o.Graph();
  const x = g.input("x", "float32", [4]);
  const m = g.input("m", "float32", [4]);
  g.output(o.dropout(x, { ratio: 0.5, mask: m }), "y");
  const s = await ort.InferenceSession.create(o.toModelProto(g));
  const out = await s.run({
    x: new ort.Tensor("float32", Float32Array.from([1, 2, 3, 4]), [4]),
    m: new ort.Tensor("float32", Float32Array.from([1, 0, 0, 1]), [4]),
  });
  assert.deepEqual(Array.from(out.y.data as Float32Array), [2, 0, 0, 8]);
  await s.release();
});

Deno.test("ORT's seeded Dropout: masks change step to step and repeat for a fresh session", async () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", [64]);
  g.output(o.dropout(x, { ratio: 0.5, seed: 5 }), "y");
  const bytes = o.toModelProto(g);
  const feeds = { x: new ort.Tensor("float32", new Float32Array(64).fill(1), [64]) };
  const runTwice = async () => {
    const s = await ort.InferenceSession.create(bytes);
    const r = [(await s.run(feeds)).y.data, (await s.run(feeds)).y.data];
    await s.release();
    return r.map((d) => Array.from(d as Float32Array));
  };
  const [a1, a2] = await runTwice();
  const [b1, b2] = await runTwice();
  assert.notDeepEqual(a1, a2);
  assert.deepEqual([a1, a2], [b1, b2]);
  assert.ok(a1.every((v) => v === 0 || v === 2));
});

Deno.test("serialized models declare IR ≤ 13 and opset ≤ 26", () => {
  const g = new o.Graph();
  g.output(o.tanh(g.input("x", "float32", [1])), "y");
  const bytes = o.toModelProto(g);
  // Field 1 (ir_version) is the first varint; opset_import (field 8) holds version (field 2).
  assert.equal(bytes[0], 0x08);
  assert.ok(bytes[1] <= 13);
  const i = bytes.lastIndexOf(0x42); // field 8, wire type 2
  const sub = bytes.subarray(i + 2, i + 2 + bytes[i + 1]);
  assert.equal(sub[sub.length - 2], 0x10);
  assert.ok(sub[sub.length - 1] <= 26 && sub[sub.length - 1] >= 20);
  assert.throws(() => o.toModelProto(new o.Graph()), /serialize: the graph has no outputs/);
});

Deno.test("memoryPattern: false turns ORT's memory pattern off; other sessions keep the default", () => {
  assert.equal(o.ortOptions({ memoryPattern: false }).enableMemPattern, false);
  assert.equal(o.ortOptions({}).enableMemPattern, undefined);
  assert.equal(o.ortOptions({ memoryPattern: true }).enableMemPattern, undefined);
});
