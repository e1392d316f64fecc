/**
 * idim's gradients and optimizer steps against PyTorch (float64 autograd and torch.optim),
 * from the committed fixtures made by tests/oracle/make_fixtures.py. Tolerance: 1e-5 of the
 * largest |reference| value per tensor (idim runs in float32).
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import * as o from "../../lib/onnx/mod.ts";
import {
  type EncoderConfig,
  encoderInputs,
  encoderLogits,
} from "../../lib/onnx/testing/encoder.ts";

interface Arr {
  shape: number[];
  data: number[];
}
const load = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`../oracle/fixtures/${name}.json`, import.meta.url)));

const REL = 1e-5;
/**
 * max |got − ref| ≤ rel · max |ref|. A reference that is mathematically zero (attention key
 * biases: softmax is shift-invariant) is compared against `zeroScale` (the largest gradient
 * of the model) instead.
 */
function close(name: string, got: ArrayLike<number>, ref: Arr, rel = REL, zeroScale = 0): void {
  assert.equal(got.length, ref.data.length, `${name}: length`);
  let scale = Math.max(...ref.data.map(Math.abs));
  if (scale < 1e-12 * zeroScale) scale = zeroScale;
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.data[i]));
  assert.ok(worst <= rel * scale, `${name}: max |idim − torch| = ${worst} > ${rel} · ${scale}`);
}
const f32 = (a: Arr) => new ort.Tensor("float32", Float32Array.from(a.data), a.shape);
const i64 = (a: Arr) => new ort.Tensor("int64", BigInt64Array.from(a.data.map(BigInt)), a.shape);

function mlpGraph(fx: { config: Record<string, number> }) {
  const c = fx.config;
  const g = new o.Graph();
  const x = g.input("x", "float32", ["B", c.n_in]);
  const y = g.input("y", "int64", ["B"]);
  const w1 = g.input("w1", "float32", [c.n_in, c.n_hid]);
  const b1 = g.input("b1", "float32", [c.n_hid]);
  const w2 = g.input("w2", "float32", [c.n_hid, c.n_cls]);
  const b2 = g.input("b2", "float32", [c.n_cls]);
  const loss = o.softmaxCrossEntropy(o.linear(o.gelu(o.linear(x, w1, b1)), w2, b2), y);
  return { g, loss, params: [w1, b1, w2, b2] };
}

Deno.test("MLP loss and gradients match PyTorch", async () => {
  const fx = load("mlp");
  const { g, loss, params } = mlpGraph(fx);
  const grads = o.grad(loss, params);
  g.output(loss, "loss");
  grads.forEach((gr, i) => g.output(gr, `grad.${params[i].name}`));
  const s = await ort.InferenceSession.create(o.toModelProto(g));
  const feeds: Record<string, ort.Tensor> = { x: f32(fx.inputs.x), y: i64(fx.inputs.y) };
  for (const p of params) feeds[p.name] = f32(fx.params[p.name]);
  const out = await s.run(feeds);
  close("loss", out.loss.data as Float32Array, { shape: [], data: [fx.loss] });
  for (const p of params) {
    close(`d${p.name}`, out[`grad.${p.name}`].data as Float32Array, fx.grads[p.name]);
  }
  await s.release();
});

for (const opt of ["adamw", "adam", "sgd"] as const) {
  Deno.test(`MLP ${opt} steps (clipping, linear schedule) match torch.optim`, async () => {
    const fx = load("mlp");
    const cfg = fx[opt].config;
    const { g, loss, params } = mlpGraph(fx);
    const spec = o.buildTrainGraph(g, {
      loss,
      params,
      optimizer: {
        type: opt,
        lr: cfg.lr,
        beta1: cfg.beta1,
        beta2: cfg.beta2,
        eps: cfg.eps,
        weightDecay: cfg.weightDecay,
        momentum: cfg.momentum,
        clipNorm: cfg.clipNorm,
        schedule: { warmupSteps: cfg.warmupSteps, totalSteps: cfg.totalSteps },
      },
    });
    const init = Object.fromEntries(
      params.map((p) => [p.name, Float32Array.from(fx.params[p.name].data)]),
    );
    const sess = await o.TrainSession.create(o.toModelProto(g), spec, init);
    const batch = { x: f32(fx.inputs.x), y: i64(fx.inputs.y) };
    for (let i = 0; i < cfg.steps; i++) {
      const l = await sess.step(batch);
      close(`loss at step ${i + 1}`, [l], { shape: [], data: [fx[opt].losses[i]] });
    }
    for (const p of params) {
      close(
        `${p.name} after ${cfg.steps} steps`,
        sess.get(p.name) as Float32Array,
        fx[opt].params_after[p.name],
      );
    }
    await sess.release();
  });
}

Deno.test("2-layer BERT-style encoder: logits, loss and every gradient match PyTorch", async () => {
  const fx = load("encoder");
  const c = fx.config as EncoderConfig & { batch: number; seq: number };
  const g = new o.Graph();
  const p = encoderInputs(g, c);
  const ids = g.input("ids", "int64", ["B", c.seq]);
  const mask = g.input("mask", "float32", ["B", c.seq]);
  const labels = g.input("labels", "int64", ["B"]);
  const logits = encoderLogits(g, c, p, ids, mask);
  const loss = o.softmaxCrossEntropy(logits, labels);
  const names = Object.keys(p);
  const grads = o.grad(loss, names.map((n) => p[n]));
  g.output(loss, "loss");
  g.output(logits, "logits");
  grads.forEach((gr, i) => g.output(gr, `grad.${names[i]}`));
  const s = await ort.InferenceSession.create(o.toModelProto(g));
  const feeds: Record<string, ort.Tensor> = {
    ids: i64(fx.inputs.ids),
    mask: f32(fx.inputs.mask),
    labels: i64(fx.inputs.labels),
  };
  for (const n of names) feeds[n] = f32(fx.params[n]);
  const out = await s.run(feeds);
  close("logits", out.logits.data as Float32Array, fx.logits);
  close("loss", out.loss.data as Float32Array, { shape: [], data: [fx.loss] });
  assert.equal(names.length, Object.keys(fx.grads).length);
  const top = Math.max(...names.map((n) => Math.max(...fx.grads[n].data.map(Math.abs))));
  for (const n of names) {
    close(`d${n}`, out[`grad.${n}`].data as Float32Array, fx.grads[n], REL, top);
  }
  await s.release();
});
