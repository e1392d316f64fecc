/** Autodiff semantics and build-time errors: what users rely on when a graph is wrong. */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import * as o from "../../lib/onnx/mod.ts";

async function run(g: o.Graph, feeds: Record<string, ort.Tensor>) {
  const s = await ort.InferenceSession.create(o.toModelProto(g));
  const out = await s.run(feeds);
  await s.release();
  return out;
}

Deno.test("stopGradient blocks its branch; fan-out gradients are summed", async () => {
  const g = new o.Graph();
  const a = g.input("a", "float32", [3]);
  // loss = sum(a·a + stop(exp(a)) + 3a): gradient 2a + 3.
  const loss = o.reduceSum(o.add(o.add(o.mul(a, a), o.stopGradient(o.exp(a))), o.mul(a, 3)));
  const [ga] = o.grad(loss, [a]);
  g.output(ga, "ga");
  const out = await run(g, { a: new ort.Tensor("float32", Float32Array.from([1, -2, 0.5]), [3]) });
  assert.deepEqual(Array.from(out.ga.data as Float32Array), [5, -1, 4]);
});

Deno.test("symbolic batch dims: one graph runs at several batch sizes", async () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", ["B", "S", 4]);
  const w = g.input("w", "float32", [4, 2]);
  const y = o.reduceMean(o.matmul(x, w));
  const [gw] = o.grad(y, [w]);
  assert.deepEqual(o.matmul(x, w).shape, ["B", "S", 2]);
  g.output(gw, "gw");
  const s = await ort.InferenceSession.create(o.toModelProto(g));
  for (const [B, S] of [[1, 3], [5, 2]]) {
    const xd = new Float32Array(B * S * 4).fill(1);
    const out = await s.run({
      x: new ort.Tensor("float32", xd, [B, S, 4]),
      w: new ort.Tensor("float32", new Float32Array(8), [4, 2]),
    });
    // d mean(x w) / d w[k, j] = mean over rows of x[., k] / 2 = 0.5.
    for (const v of out.gw.data as Float32Array) assert.ok(Math.abs(v - 0.5) < 1e-6, `${v}`);
  }
});

Deno.test("frozen weights get no weight-gradient nodes", () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", [8, 4]);
  const frozen = g.input("W", "float32", [4, 4]);
  const a = g.input("A", "float32", [4, 4]);
  const loss = o.reduceSum(o.matmul(o.matmul(x, frozen), a));
  const before = g.nodes.length;
  o.grad(loss, [a]);
  const added = g.nodes.slice(before);
  // Only dA = (xW)^T g is needed: one Gemm, nothing for W or x.
  assert.equal(added.filter((n) => n.opType === "Gemm" || n.opType === "MatMul").length, 1);
});

Deno.test("shape mismatch fails at build time naming the op and shapes", () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", ["B", 16]);
  const w = g.input("w", "float32", [32, 8]);
  assert.throws(
    () => o.matmul(x, w),
    /MatMul: inner dimensions differ.*x: float32\[B,16\].*w: float32\[32,8\]/,
  );
  const b = g.input("b", "float32", [3]);
  assert.throws(() => o.add(x, b), /Add: shapes cannot be broadcast.*16 and 3/);
  assert.throws(() => o.reshape(w, [5, -1]), /Reshape: cannot reshape 256 elements to \[5,-1\]/);
  assert.throws(() => o.concat([x, w], 0), /Concat/);
  const gamma = g.input("gamma", "float32", [8]);
  assert.throws(
    () => o.layerNorm(x, gamma, gamma),
    /LayerNormalization: scale\/bias must have shape \[16\]/,
  );
  const lab = g.input("lab", "int64", ["B", 2]);
  assert.throws(
    () => o.softmaxCrossEntropy(x, lab),
    /SoftmaxCrossEntropyLoss: labels must have shape \[B\]/,
  );
});

Deno.test("an unsupported op fails at build time naming it and its inputs", () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", [2, 3]);
  assert.throws(
    () =>
      g.node({ op: "SoftmaxGrad", inputs: [x], outputs: [{ dtype: "float32", shape: [2, 3] }] }),
    /SoftmaxGrad: unsupported op.*\(x: float32\[2,3\]\)/,
  );
  // A com.microsoft contrib op is allowed by domain.
  const [y] = g.node({
    op: "FastGelu",
    domain: "com.microsoft",
    inputs: [x],
    outputs: [{ dtype: "float32", shape: [2, 3] }],
  });
  assert.equal(y.producer!.opType, "FastGelu");
});

Deno.test("dtype mismatches and missing float64 kernels fail at build time", () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", [4]);
  const d = g.input("d", "float64", [4]);
  assert.throws(() => o.add(x, d), /Add: operand dtypes differ: float32 vs float64/);
  assert.throws(() => o.erf(d), /Erf: ONNX Runtime's CPU provider has no float64 kernel/);
  assert.throws(() => o.gelu(d, "none"), /Gelu: erf form has no float64 kernel/);
  const i = g.input("i", "int64", [4]);
  assert.throws(() => o.gather(x, x), /Gather: indices must be int32 or int64/);
  assert.throws(() => o.sqrt(i), /Sqrt: expects floating-point operands/);
});

Deno.test("a gradient through an integer path fails at build time naming the op", () => {
  const g = new o.Graph();
  const w = g.input("w", "float32", [4, 3]);
  const table = g.input("table", "float32", [10, 3]);
  const ids = o.cast(o.mul(w, 5), "int64");
  const loss = o.reduceSum(o.gather(table, ids));
  assert.throws(
    () => o.grad(loss, [w]),
    /grad: no gradient reaches w: float32\[4,3\] from the loss; the path goes through Cast \(.*float32\[4,3\] → .*int64\[4,3\]\): Cast float32 → int64 carries no gradient/,
  );
  const ids2 = g.input("ids", "int64", [4]);
  assert.throws(
    () => o.grad(loss, [ids2]),
    /grad: gradient requested for an integer tensor \(ids: int64\[4\]\)/,
  );
  const other = g.input("other", "float32", [2]);
  assert.throws(() => o.grad(loss, [other]), /the loss does not depend on this tensor/);
  const [z] = o.grad(loss, [other], { allowUnused: true });
  assert.deepEqual(z.shape, [2]);
  const sg = o.reduceSum(o.stopGradient(o.mul(w, 2)));
  assert.throws(() => o.grad(sg, [w]), /Identity .*stopGradient/);
});

Deno.test("a composite's backward is used instead of its inner ops", async () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", [3]);
  // forward x², but declared gradient 10·g: autodiff must use the declared rule.
  const [y] = o.customGrad([x], (t) => o.mul(t, t), ([gy]) => [gy ? o.mul(gy, 10) : null]);
  const [gx] = o.grad(o.reduceSum(y), [x]);
  g.output(y, "y");
  g.output(gx, "gx");
  const out = await run(g, { x: new ort.Tensor("float32", Float32Array.from([1, 2, 3]), [3]) });
  assert.deepEqual(Array.from(out.y.data as Float32Array), [1, 4, 9]);
  assert.deepEqual(Array.from(out.gx.data as Float32Array), [10, 10, 10]);
});

Deno.test("serialization prunes dead nodes and unused initializers", () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", [3]);
  o.exp(o.mul(x, g.constant([1, 2, 3], "float32"))); // dead
  g.output(o.tanh(x), "y");
  const bytes = o.toModelProto(g);
  const text = new TextDecoder("latin1").decode(bytes);
  assert.ok(text.includes("Tanh"));
  assert.ok(!text.includes("Exp"));
  assert.equal(o.liveNodes(g).length, 1);
});
