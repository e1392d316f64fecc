/** ORT's per-node profile of a training session, summarized per op type. */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as o from "../../lib/onnx/mod.ts";
import { formatProfile, summarizeProfile } from "../../lib/onnx/profile.ts";

Deno.test("profile: a training step's kernel time per op type", async () => {
  const g = new o.Graph();
  const x = g.input("x", "float32", ["B", 8]);
  const y = g.input("y", "int64", ["B"]);
  const w = g.input("w", "float32", [8, 3]);
  const b = g.input("b", "float32", [3]);
  const spec = o.buildTrainGraph(g, {
    loss: o.softmaxCrossEntropy(o.linear(x, w, b), y),
    params: [w, b],
    optimizer: { type: "adamw", lr: 1e-2, weightDecay: 0.01 },
  });
  const dir = Deno.makeTempDirSync();
  const s = await o.TrainSession.create(o.toModelProto(g), spec, {
    w: new Float32Array(24).fill(0.1),
    b: new Float32Array(3),
  }, { profile: join(dir, "p") });
  const batch = {
    x: { data: new Float32Array(32).fill(0.5), dims: [4, 8] },
    y: { data: new BigInt64Array([0n, 1n, 2n, 0n]), dims: [4] },
  };
  for (let i = 0; i < 4; i++) await s.step(batch);
  s.endProfiling();
  await s.release();
  const file = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".json"))!;
  const p = summarizeProfile(join(dir, file.name), 1);
  Deno.removeSync(dir, { recursive: true });
  assert.equal(p.runs, 3);
  assert(p.ops.some((op) => op.op === "Gemm"), formatProfile(p));
  const total = p.ops.reduce((a, op) => a + op.fraction, 0);
  assert(Math.abs(total - 1) < 1e-9);
  assert(p.ops.every((op, i) => i === 0 || op.ms <= p.ops[i - 1].ms));
  assert(formatProfile(p).startsWith("run "));
});
