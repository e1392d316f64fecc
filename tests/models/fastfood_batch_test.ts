import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { Graph, type Tensor } from "../../lib/onnx/graph.ts";
import { grad } from "../../lib/onnx/autodiff.ts";
import { toModelProto } from "../../lib/onnx/serialize.ts";
import {
  embeddedStore,
  FastfoodFile,
  fastfoodProject,
  type FastfoodStore,
  planOf,
} from "../../lib/models/fastfood.ts";
import { fastfoodChunks, fastfoodProjectBatch } from "../../lib/models/fastfood_batch.ts";
import { fastfoodApply, makeFastfood } from "../../lib/models/fastfood_params.ts";
import { Prng } from "../../lib/random/prng.ts";
import { add, mul, reduceSum } from "../../lib/models/ops.ts";

/** Builds P_t z for every D (per-tensor or batched), Σ_t ⟨P_t z, g_t⟩ and its z-gradient; runs it. */
async function run(
  Ds: number[],
  d: number,
  seed: number,
  batched: boolean,
  z: Float32Array,
  gs: Float32Array[],
  opts: { maxGroupElements?: number; file?: boolean } = {},
): Promise<{ pz: Float32Array[]; gz: Float32Array; nodes: number }> {
  const dir = mkdtempSync(join(tmpdir(), "idim-ffb-"));
  try {
    const g = new Graph();
    const zin = g.input("z", "float32", [d]);
    const gin = Ds.map((D, t) => g.input(`g${t}`, "float32", [D]));
    const file = opts.file ? new FastfoodFile(join(dir, "ff.bin"), "ff.bin") : undefined;
    const store: FastfoodStore = file ?? embeddedStore;
    const specs = Ds.map((D, t) => makeFastfood(D, d, seed, t));
    const pz: Tensor[] = batched
      ? fastfoodProjectBatch(zin, specs.map((f) => ({ D: f.D, plan: () => planOf(f) })), "ff", {
        store,
        maxGroupElements: opts.maxGroupElements,
      })
      : specs.map((f, t) => fastfoodProject(zin, f, `ff/${t}`, store));
    file?.close();
    let loss = reduceSum(mul(pz[0], gin[0]));
    for (let t = 1; t < Ds.length; t++) loss = add(loss, reduceSum(mul(pz[t], gin[t])));
    const [gz] = grad(loss, [zin]);
    pz.forEach((p, t) => g.output(p, `pz${t}`));
    g.output(gz, "gz");
    const bytes = toModelProto(g);
    writeFileSync(join(dir, "m.onnx"), bytes);
    const s = await ort.InferenceSession.create(join(dir, "m.onnx"));
    const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor("float32", z, [d]) };
    gs.forEach((v, t) => feeds[`g${t}`] = new ort.Tensor("float32", v, [Ds[t]]));
    const r = await s.run(feeds);
    return {
      pz: Ds.map((_, t) => r[`pz${t}`].data as Float32Array),
      gz: r.gz.data as Float32Array,
      nodes: g.nodes.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomCase(seed: number) {
  const rng = new Prng(seed);
  const d = 20 + Math.floor(rng.uniform() * 60); // n = 32..128
  // Random shapes whose padded lengths fall in 2–3 groups: ≤ n, (256, 512] and (1024, 2048].
  const Ds = Array.from({ length: 9 }, (_, i) => {
    const k = i % 3;
    const lo = k === 0 ? 1 : k === 1 ? 257 : 1025, hi = k === 0 ? d : k === 1 ? 512 : 2048;
    return lo + Math.floor(rng.uniform() * (hi - lo + 1));
  });
  const z = Float32Array.from({ length: d }, () => rng.normal());
  const gs = Ds.map((D) => Float32Array.from({ length: D }, () => rng.normal()));
  return { d, Ds, z, gs };
}

Deno.test("fastfoodChunks: grouped by padded length, split at the element cap", () => {
  const c = fastfoodChunks([300, 20, 500, 1000, 40, 1024, 700], 37, 2048);
  assert.deepEqual(c, [
    { L: 64, members: [1, 4] },
    { L: 512, members: [0, 2] },
    { L: 1024, members: [3, 5] },
    { L: 1024, members: [6] },
  ]);
  assert.deepEqual(fastfoodChunks([5000], 10, 1024), [{ L: 8192, members: [0] }]);
});

Deno.test("batched Fastfood equals per-tensor Fastfood: values and autodiff gradients", async () => {
  for (const seed of [1, 2, 3]) {
    const { d, Ds, z, gs } = randomCase(seed);
    const ref = await run(Ds, d, 7 + seed, false, z, gs);
    const variants = [
      await run(Ds, d, 7 + seed, true, z, gs),
      await run(Ds, d, 7 + seed, true, z, gs, { maxGroupElements: 2048, file: true }),
    ];
    for (const b of variants) {
      Ds.forEach((D, t) => {
        // The same ops in the same order per element (each MatMul row reduces alone): bit for bit.
        assert.deepEqual(b.pz[t], ref.pz[t], `seed ${seed} tensor ${t} (D=${D})`);
        const scale = Math.max(...Array.from(ref.pz[t], Math.abs));
        const exact = fastfoodApply(makeFastfood(D, d, 7 + seed, t), z);
        assert.ok(maxAbs(b.pz[t], exact) <= 1e-5 * scale, `vs float64, tensor ${t}`);
      });
      // Only the sum over tensors is ordered differently (one ReduceSum vs autodiff's fan-out).
      const gm = Math.max(...Array.from(ref.gz, Math.abs));
      assert.ok(maxAbs(b.gz, ref.gz) <= 1e-5 * gm, `seed ${seed} grad ${maxAbs(b.gz, ref.gz)}`);
    }
    assert.ok(variants[0].nodes < ref.nodes, `${variants[0].nodes} vs ${ref.nodes} nodes`);
  }
});
