import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { Graph } from "../../lib/onnx/graph.ts";
import { grad } from "../../lib/onnx/autodiff.ts";
import { toModelProto } from "../../lib/onnx/serialize.ts";
import { FastfoodFile, fastfoodProject } from "../../lib/models/fastfood.ts";
import {
  fastfoodApply,
  fastfoodDense,
  fastfoodScale,
  type FastfoodSpec,
  fastfoodTranspose,
  makeFastfood,
} from "../../lib/models/fastfood_params.ts";
import { Prng } from "../../lib/random/prng.ts";
import { mul, reduceSum } from "../../lib/models/ops.ts";
import { ORACLE } from "../oracle_path.ts";

const FF = JSON.parse(readFileSync(`${ORACLE}/grad/fastfood.json`, "utf8"));
const arr = (a: { data: number[] }) => a.data;

function oracleSpec(): FastfoodSpec {
  const G = Float32Array.from(arr(FF.G));
  return {
    D: FF.D,
    d: FF.d,
    L: FF.L,
    B: Float32Array.from(arr(FF.B)),
    perm: Int32Array.from(arr(FF.Pi)),
    G,
    scale: FF.scale,
  };
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0, r = 0;
  for (let i = 0; i < b.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    r = Math.max(r, Math.abs(b[i]));
  }
  return m / r;
}

/** Runs P z and Pᵀ g through an ONNX graph built by fastfoodProject (external constants). */
async function runGraph(f: FastfoodSpec, z: ArrayLike<number>, gv: ArrayLike<number>) {
  const dir = mkdtempSync(join(tmpdir(), "idim-ff-"));
  try {
    const g = new Graph();
    const zin = g.input("z", "float32", [f.d]);
    const gin = g.input("g", "float32", [f.D]);
    const store = new FastfoodFile(join(dir, "ff.bin"), "ff.bin");
    const pz = fastfoodProject(zin, f, "t0", store);
    store.close();
    const [gz] = grad(reduceSum(mul(pz, gin)), [zin]);
    g.output(pz, "pz");
    g.output(gz, "ptg");
    writeFileSync(join(dir, "m.onnx"), toModelProto(g));
    const s = await ort.InferenceSession.create(join(dir, "m.onnx"));
    const r = await s.run({
      z: new ort.Tensor("float32", Float32Array.from(z), [f.d]),
      g: new ort.Tensor("float32", Float32Array.from(gv), [f.D]),
    });
    return { pz: r.pz.data as Float32Array, ptg: r.ptg.data as Float32Array };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("Fastfood: the oracle case (B, Π, G from fastfood.json) reproduced, in JS and in ONNX", async () => {
  const f = oracleSpec();
  assert.ok(Math.abs(fastfoodScale(Float64Array.from(arr(FF.G)), FF.D) - FF.scale) < 1e-15);
  assert.ok(maxRel(fastfoodApply(f, arr(FF.z)), arr(FF.Pz)) < 1e-6);
  assert.ok(maxRel(fastfoodTranspose(f, arr(FF.g)), arr(FF.PTg)) < 1e-6);
  assert.ok(maxRel(fastfoodDense(f), arr(FF.P)) < 1e-6);
  const { pz, ptg } = await runGraph(f, arr(FF.z), arr(FF.g));
  assert.ok(maxRel(pz, arr(FF.Pz)) < 1e-4, `Pz rel err ${maxRel(pz, arr(FF.Pz))}`);
  assert.ok(maxRel(ptg, arr(FF.PTg)) < 1e-4, `PTg rel err ${maxRel(ptg, arr(FF.PTg))}`);
});

Deno.test("Fastfood: the graph's gradient is Pᵀ∇θ for an explicit dense P (D=300, d=37)", async () => {
  const f = makeFastfood(300, 37, 11, 4);
  const rng = new Prng(5);
  const z = Array.from({ length: 37 }, () => rng.normal());
  const gv = Array.from({ length: 300 }, () => rng.normal());
  const P = fastfoodDense(f);
  const pzRef = new Float64Array(300), ptgRef = new Float64Array(37);
  for (let i = 0; i < 300; i++) {
    for (let j = 0; j < 37; j++) {
      pzRef[i] += P[i * 37 + j] * z[j];
      ptgRef[j] += P[i * 37 + j] * gv[i];
    }
  }
  const { pz, ptg } = await runGraph(f, z, gv);
  assert.ok(maxRel(pz, pzRef) < 1e-4);
  assert.ok(maxRel(ptg, ptgRef) < 1e-4);
});

Deno.test("Fastfood: same seed same P, another seed another; ‖Pz‖/‖z‖ ≈ 1 on average", () => {
  const a = makeFastfood(1000, 50, 3, 7), b = makeFastfood(1000, 50, 3, 7);
  const c = makeFastfood(1000, 50, 4, 7), e = makeFastfood(1000, 50, 3, 8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.G, c.G);
  assert.notDeepEqual(a.G, e.G);
  const rng = new Prng(9);
  let sum = 0;
  const trials = 40;
  for (let t = 0; t < trials; t++) {
    const f = makeFastfood(2000, 100, 100 + t, 0);
    const z = Array.from({ length: 100 }, () => rng.normal());
    const pz = fastfoodApply(f, z);
    const n = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
    sum += n(pz) / n(z);
  }
  const mean = sum / trials;
  assert.ok(Math.abs(mean - 1) < 0.05, `mean ‖Pz‖/‖z‖ = ${mean}`);
});

Deno.test("Fastfood graph at the paper grid's large d: P z and Pᵀg equal the literal formula (D = 200,000, d = 5,000 and 10,000)", async () => {
  // d far above the small oracle case: z is padded to n = 8,192 / 16,384 and tiled 32 / 16 times
  // over L = 262,144, the regime of the paper grid's top points and of the global projection.
  for (const d of [5000, 10000]) {
    const f = makeFastfood(200_000, d, 21, 3);
    const rng = new Prng(d);
    const z = Array.from({ length: d }, () => rng.normal());
    const gv = Array.from({ length: f.D }, () => rng.normal());
    const { pz, ptg } = await runGraph(f, z, gv);
    const pzRef = fastfoodApply(f, z), ptgRef = fastfoodTranspose(f, gv);
    assert.ok(maxRel(pz, pzRef) < 1e-5, `d=${d}: Pz rel err ${maxRel(pz, pzRef)}`);
    assert.ok(maxRel(ptg, ptgRef) < 1e-5, `d=${d}: Pᵀg rel err ${maxRel(ptg, ptgRef)}`);
  }
});
