import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { EvalSession, TrainSession } from "../../lib/onnx/session.ts";
import type { EvalSpec, TrainSpec } from "../../lib/onnx/train.ts";
import { readConfig } from "../../lib/models/config.ts";
import { exportGraphs, type ExportOptions } from "../../lib/models/export.ts";
import { readInitState } from "../../lib/models/init_state.ts";
import {
  fastfoodApply,
  fastfoodTranspose,
  makeFastfood,
} from "../../lib/models/fastfood_params.ts";
import { lambdaIndex, layerGroup } from "../../lib/models/parameterize/said.ts";
import { seqClsSpecs } from "../../lib/models/parameterize/common.ts";
import { numel } from "../../lib/models/params.ts";
import { convertSafetensors } from "../../lib/models/safetensors.ts";
import { ORACLE } from "../oracle_path.ts";

const NAME = "roberta-seqcls";
const ref = JSON.parse(readFileSync(`${ORACLE}/grad/${NAME}/full.json`, "utf8"));
const B = 3, S = 9;
const ids = (a: number[][]) => ({ data: BigInt64Array.from(a.flat().map(BigInt)), dims: [B, S] });
const feeds = {
  input_ids: ids(ref.inputs.input_ids),
  attention_mask: ids(ref.inputs.attention_mask),
};
const labels = { data: BigInt64Array.from(ref.labels.map(BigInt)), dims: [B] };

function withModel(fn: (dir: string, tmp: () => string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dirs: string[] = [];
    const tmp = () => {
      const d = mkdtempSync(join(tmpdir(), "idim-sub-"));
      dirs.push(d);
      return d;
    };
    const dir = tmp();
    const src = `${ORACLE}/hf-generated/${NAME}`;
    Deno.copyFileSync(`${src}/config.json`, join(dir, "config.json"));
    convertSafetensors(`${src}/model.safetensors`, dir, readConfig(`${src}/config.json`));
    try {
      await fn(dir, tmp);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  };
}

const base = { batch: B, seq: S, numLabels: 3, optimizer: { type: "adam" as const, lr: 1e-3 } };

async function evalLogits(
  out: string,
  state?: Record<string, Float32Array>,
): Promise<Float32Array> {
  const spec = JSON.parse(readFileSync(join(out, "eval.onnx.json"), "utf8")) as EvalSpec;
  const s = await EvalSession.create(join(out, "eval.onnx"), spec);
  const st = state ?? readInitState(out);
  const meta = JSON.parse(readFileSync(join(out, "graph.json"), "utf8"));
  const params: Record<string, ort.Tensor> = {};
  for (const t of meta.trainable) params[t.name] = new ort.Tensor("float32", st[t.name], t.shape);
  const r = await s.run(params, { ...feeds });
  return r.logits.data as Float32Array;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test(
  "DID, SAID and LoRA at initialisation give θ0's logits",
  withModel(async (dir, tmp) => {
    const theta0 = Float32Array.from(ref.logits.data as number[]);
    const cases: Partial<ExportOptions>[] = [
      { method: "did", size: 50 },
      { method: "did", size: 50, projection: "global" },
      { method: "said", size: 300 },
      { method: "said", size: 60, lambdaPer: "layer" },
      { method: "lora", size: 2, loraAlpha: 8 },
    ];
    for (const c of cases) {
      const out = tmp();
      const meta = exportGraphs(dir, out, { ...base, seed: 3, ...c } as ExportOptions);
      const logits = await evalLogits(out);
      assert.ok(maxAbs(logits, theta0) < 1e-5, `${JSON.stringify(c)}: ${maxAbs(logits, theta0)}`);
      if (c.method === "said") {
        const m = c.lambdaPer === "layer"
          ? 5
          : seqClsSpecs(readConfig(join(dir, "config.json")), 3).length;
        assert.deepEqual(meta.trainable, [{ name: "z", shape: [c.size! - m] }, {
          name: "lambda",
          shape: [m],
        }]);
        assert.equal(meta.trainableCount, c.size);
      }
    }
  }),
);

Deno.test(
  "DID: ∂loss/∂z = Σ_t P_tᵀ ∇θ_t (torch's full gradients, explicit Fastfood transpose), " +
    "per-tensor chains and batched by padded length alike",
  withModel(async (dir, tmp) => {
    const d = 40, seed = 12;
    const config = readConfig(join(dir, "config.json"));
    const expected = new Float64Array(d);
    seqClsSpecs(config, 3).forEach((s, i) => {
      const f = makeFastfood(numel(s.shape), d, seed, i);
      const pt = fastfoodTranspose(f, oracleGrad(s));
      for (let j = 0; j < d; j++) expected[j] += pt[j];
    });
    let m = 0;
    for (let j = 0; j < d; j++) m = Math.max(m, Math.abs(expected[j]));
    for (const fastfoodBatched of [false, true]) {
      const out = tmp();
      const meta = exportGraphs(dir, out, {
        ...base,
        method: "did",
        size: d,
        seed,
        fastfoodBatched,
        outputGrads: true,
      });
      // The batched graph's constants are one per padded length (`fastfood/L<L>.<chunk>/G`).
      const graph = readFileSync(join(out, "train.onnx")).toString("latin1");
      assert.equal(graph.includes("fastfood/L"), fastfoodBatched);
      const spec = JSON.parse(readFileSync(join(out, "train.onnx.json"), "utf8")) as TrainSpec;
      const sess = await TrainSession.create(join(out, "train.onnx"), spec, readInitState(out));
      await sess.step({ ...feeds, labels });
      const gz = sess.last["z.grad"].data as Float32Array;
      assert.ok(
        maxAbs(gz, expected) <= 1e-4 * m,
        `batched ${fastfoodBatched}: max diff ${maxAbs(gz, expected)} of ${m}`,
      );
      assert.equal(meta.trainableCount, d);
    }
  }),
);

/** The oracle's gradient of a canonical tensor, in the stored layout (Linear weights [in, out]). */
function oracleGrad(s: { name: string; kind: string }): number[] {
  const hf = s.name.startsWith("classifier") ? s.name : `roberta.${s.name}`;
  const g = ref.grads[hf];
  assert.ok(g, `oracle gradient of ${hf}`);
  if (s.kind !== "linear") return g.data as number[];
  const [o, n] = g.shape;
  return Array.from({ length: o * n }, (_, k) => g.data[(k % o) * n + Math.floor(k / o)]);
}

Deno.test(
  "SAID: per-layer ∂loss/∂λ = Σ over the layer's tensors of per-tensor ∂loss/∂λ = (P_t z)·∇θ_t (torch)",
  withModel(async (dir, tmp) => {
    // With λ = 0 and z ≠ 0, θ = θ0, so torch's full gradients at θ0 apply and
    // ∂loss/∂λ_t = (P_t z) · ∇θ_t for each tensor t; a layer's λ sums its tensors' terms.
    const dz = 24, seed = 5;
    const config = readConfig(join(dir, "config.json"));
    const specs = seqClsSpecs(config, 3);
    const z = Float32Array.from({ length: dz }, (_, j) => Math.sin(1.7 * j + 0.3));
    const perTensor = specs.map((s, i) => {
      const pz = fastfoodApply(makeFastfood(numel(s.shape), dz, seed, i), z);
      const g = oracleGrad(s);
      let dot = 0;
      for (let k = 0; k < g.length; k++) dot += pz[k] * g[k];
      return dot;
    });
    const lambdaGrad = async (per: "tensor" | "layer", m: number) => {
      const out = tmp();
      exportGraphs(dir, out, {
        ...base,
        method: "said",
        size: dz + m,
        lambdaPer: per,
        seed,
        outputGrads: true,
      });
      const spec = JSON.parse(readFileSync(join(out, "train.onnx.json"), "utf8")) as TrainSpec;
      const init = { ...readInitState(out), z: z.slice(), lambda: new Float32Array(m) };
      const sess = await TrainSession.create(join(out, "train.onnx"), spec, init);
      await sess.step({ ...feeds, labels });
      return sess.last["lambda.grad"].data as Float32Array;
    };
    const groups = [...new Set(specs.map((s) => layerGroup(s.name)))];
    assert.deepEqual(groups, [
      "embeddings",
      ...Array.from({ length: config.numLayers }, (_, l) => `encoder.layer.${l}`),
      "classifier",
    ]);
    const gT = await lambdaGrad("tensor", specs.length);
    const gL = await lambdaGrad("layer", groups.length);
    const tol = (ref: ArrayLike<number>) => 1e-4 * Math.max(...Array.from(ref, Math.abs));
    assert.ok(maxAbs(gT, perTensor) <= tol(perTensor), `per tensor: ${maxAbs(gT, perTensor)}`);
    // The per-layer gradient is exactly the per-layer sum of the per-tensor ones.
    const { of } = lambdaIndex({ specs } as Parameters<typeof lambdaIndex>[0], "layer");
    const summedOracle = new Float64Array(groups.length);
    const summedOnnx = new Float64Array(groups.length);
    specs.forEach((_, i) => {
      summedOracle[of[i]] += perTensor[i];
      summedOnnx[of[i]] += gT[i];
    });
    assert.ok(
      maxAbs(gL, summedOracle) <= tol(summedOracle),
      `vs oracle ${maxAbs(gL, summedOracle)}`,
    );
    assert.ok(maxAbs(gL, summedOnnx) <= tol(summedOnnx), `vs per-tensor ${maxAbs(gL, summedOnnx)}`);
    assert.ok(Math.min(...Array.from(summedOracle, Math.abs)) > 0, "every layer's λ moves");
  }),
);

Deno.test(
  "training steps move the loss down for every method",
  withModel(async (dir, tmp) => {
    for (
      const c of [{ method: "full" }, { method: "did", size: 200 }, { method: "said", size: 200 }, {
        method: "lora",
        size: 4,
        loraAlpha: 8,
      }]
    ) {
      const out = tmp();
      exportGraphs(
        dir,
        out,
        { ...base, seed: 1, ...c, optimizer: { type: "adam", lr: 1e-2 } } as ExportOptions,
      );
      const spec = JSON.parse(readFileSync(join(out, "train.onnx.json"), "utf8")) as TrainSpec;
      const sess = await TrainSession.create(join(out, "train.onnx"), spec, readInitState(out));
      const first = await sess.step({ ...feeds, labels });
      let last = first;
      for (let i = 0; i < 10; i++) last = await sess.step({ ...feeds, labels });
      assert.ok(last < first, `${c.method}: loss ${first} → ${last}`);
    }
  }),
);

Deno.test(
  "a model that does not fit fails before building, naming the numbers",
  withModel((dir, tmp) => {
    const out = tmp();
    assert.throws(
      () =>
        exportGraphs(dir, out, {
          ...base,
          method: "did",
          size: 10,
          seed: 0,
          memoryLimitBytes: 1e6,
          modelName: "tiny",
        }),
      /export tiny \(did size 10, batch 3, seq 9\): estimated peak memory .* exceeds the limit 976.56 KiB \(weights/,
    );
    assert.deepEqual([...Deno.readDirSync(out)], [], "nothing written");
    return Promise.resolve();
  }),
);
