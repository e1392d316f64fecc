/**
 * idim's gradients and optimizer steps against PyTorch (float64 autograd and torch.optim),
 * from the committed fixtures made by tests/oracle/make_fixtures.py. Tolerance: 1e-5 of the
 * largest |reference| value per tensor (idim runs in float32).
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import * as o from "../../lib/onnx/mod.ts";
import { classifierGraph, smallBertConfig } from "../../lib/models/classifier_graph.ts";

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

/** The fixture's parameter name (tests/oracle/make_fixtures.py) → lib/models' canonical name. */
function canonical(name: string): string {
  const part: Record<string, string> = { w: "weight", b: "bias", g: "weight" };
  const [head, ...rest] = name.split(".");
  const leaf = part[rest.at(-1)!];
  const fixed: Record<string, string> = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.ln.g": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
  };
  if (fixed[name]) return fixed[name];
  if (head === "pool") return `pooler.dense.${leaf}`;
  if (head === "cls") return `classifier.${leaf}`;
  const layer = `encoder.layer.${head.slice(1)}`;
  const module: Record<string, string> = {
    q: "attention.self.query",
    k: "attention.self.key",
    v: "attention.self.value",
    o: "attention.output.dense",
    ln1: "attention.output.LayerNorm",
    ff1: "intermediate.dense",
    ff2: "output.dense",
    ln2: "output.LayerNorm",
  };
  return `${layer}.${module[rest[0]]}.${leaf}`;
}

Deno.test("2-layer BERT-style encoder (lib/models): logits, loss and every gradient match PyTorch", async () => {
  const fx = load("encoder");
  const fc = fx.config;
  // The torch model has no token-type embedding: lib/models' single row is fed as zeros.
  const c = smallBertConfig({
    vocab: fc.vocab,
    hidden: fc.hidden,
    heads: fc.heads,
    intermediate: fc.intermediate,
    layers: fc.layers,
    maxPos: fc.maxPos,
    labels: fc.classes,
    eps: fc.eps,
  });
  const g = new o.Graph();
  const m = classifierGraph(g, c, { seq: fc.seq });
  const labels = g.input("labels", "int64", ["B"]);
  const loss = o.softmaxCrossEntropy(m.logits, labels);
  const names = Object.keys(fx.params) as string[];
  const tensors = names.map((n) => m.params.get(canonical(n))!);
  assert.ok(tensors.every((t) => t !== undefined), "every fixture parameter has a lib/models name");
  assert.equal(m.params.size, names.length + 1, "plus the token-type embedding");
  const grads = o.grad(loss, tensors);
  g.output(loss, "loss");
  g.output(m.logits, "logits");
  grads.forEach((gr, i) => g.output(gr, `grad.${names[i]}`));
  const s = await ort.InferenceSession.create(o.toModelProto(g));
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(fx.inputs.ids),
    attention_mask: i64(fx.inputs.mask),
    labels: i64(fx.inputs.labels),
    "embeddings.token_type_embeddings.weight": new ort.Tensor(
      "float32",
      new Float32Array(fc.hidden),
      [1, fc.hidden],
    ),
  };
  for (const n of names) feeds[canonical(n)] = f32(fx.params[n]);
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
