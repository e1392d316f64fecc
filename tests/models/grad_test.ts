import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrainSession } from "../../lib/onnx/session.ts";
import type { TrainSpec } from "../../lib/onnx/train.ts";
import { readConfig } from "../../lib/models/config.ts";
import { exportGraphs, type ExportOptions } from "../../lib/models/export.ts";
import { readInitState } from "../../lib/models/init_state.ts";
import { canonicalName } from "../../lib/models/params.ts";
import { convertSafetensors, transpose2d } from "../../lib/models/safetensors.ts";
import { ORACLE } from "../oracle_path.ts";

type Arr = { shape: number[]; data: number[] };

/** Converts an oracle seqcls model into a temp model directory. */
function modelDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `idim-grad-${name}-`));
  const src = `${ORACLE}/hf-generated/${name}`;
  Deno.copyFileSync(`${src}/config.json`, join(dir, "config.json"));
  convertSafetensors(`${src}/model.safetensors`, dir, readConfig(`${src}/config.json`));
  return dir;
}

/** HF layout [out, in] → stored layout for Linear weights (2-D, not an embedding). */
function toStored(name: string, a: Arr): Float32Array {
  const d = Float32Array.from(a.data);
  if (a.shape.length === 2 && !name.includes("embeddings")) {
    return transpose2d(d, a.shape[0], a.shape[1]);
  }
  return d;
}

/** Per-tensor |a − b| ≤ 1e-4 · max|ref| (plus 1e-8 absolute, for the ~0 key-bias gradients). */
function assertClose(name: string, got: ArrayLike<number>, ref: Float32Array): void {
  assert.equal(got.length, ref.length, `${name}: length`);
  let maxRef = 0, maxDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
  }
  assert.ok(maxDiff <= 1e-4 * maxRef + 1e-8, `${name}: max diff ${maxDiff}, max |ref| ${maxRef}`);
}

function batch(inputs: Record<string, number[][]>, labels: number[], withTypes: boolean) {
  const B = inputs.input_ids.length, S = inputs.input_ids[0].length;
  const t = (a: number[][]) => ({
    data: BigInt64Array.from(a.flat().map(BigInt)),
    dims: [B, S],
  });
  return {
    input_ids: t(inputs.input_ids),
    attention_mask: t(inputs.attention_mask),
    ...(withTypes ? { token_type_ids: t(inputs.token_type_ids) } : {}),
    labels: { data: BigInt64Array.from(labels.map(BigInt)), dims: [B] },
  };
}

async function gradients(
  dir: string,
  out: string,
  o: Omit<ExportOptions, "batch" | "seq" | "numLabels" | "optimizer">,
  init: (state: Record<string, Float32Array>) => void,
  ref: { inputs: Record<string, number[][]>; labels: number[] },
  withTypes: boolean,
) {
  const meta = exportGraphs(dir, out, {
    ...o,
    batch: 3,
    seq: 9,
    numLabels: 3,
    optimizer: { type: "adam", lr: 0 },
    outputGrads: true,
  });
  const state = readInitState(out);
  init(state);
  const spec = JSON.parse(readFileSync(join(out, "train.onnx.json"), "utf8")) as TrainSpec;
  const sess = await TrainSession.create(join(out, "train.onnx"), spec, state);
  const loss = await sess.step(batch(ref.inputs, ref.labels, withTypes));
  const grads: Record<string, Float32Array> = {};
  for (const t of meta.trainable) grads[t.name] = sess.last[`${t.name}.grad`].data as Float32Array;
  return { loss, grads, meta, logits: sess.last.logits.data as Float32Array };
}

for (const name of ["bert-seqcls", "roberta-seqcls"]) {
  Deno.test(`full fine-tuning gradients of every parameter match torch (${name})`, async () => {
    const ref = JSON.parse(readFileSync(`${ORACLE}/grad/${name}/full.json`, "utf8"));
    const dir = modelDir(name);
    const out = mkdtempSync(join(tmpdir(), "idim-grad-out-"));
    try {
      const r = await gradients(
        dir,
        out,
        { method: "full", seed: 0 },
        () => {},
        ref,
        name.startsWith("bert"),
      );
      assert.ok(Math.abs(r.loss - ref.loss) < 1e-5, `loss ${r.loss} vs ${ref.loss}`);
      assertClose("logits", r.logits, Float32Array.from(ref.logits.data));
      const names = Object.keys(ref.grads);
      assert.equal(names.length, r.meta.trainable.length, "one gradient per parameter");
      for (const hf of names) {
        const c = canonicalName(hf)!;
        assertClose(hf, r.grads[`param/${c}`], toStored(hf, ref.grads[hf]));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });

  Deno.test(`LoRA gradients match PEFT, trainable count asserted (${name})`, async () => {
    const ref = JSON.parse(readFileSync(`${ORACLE}/grad/${name}/lora.json`, "utf8"));
    const dir = modelDir(name);
    const out = mkdtempSync(join(tmpdir(), "idim-grad-out-"));
    /** PEFT name → our trainable name. */
    const ours = (peft: string) => {
      const m = /^base_model\.model\.(?:bert|roberta)\.(.+)\.lora_([AB])\.default\.weight$/.exec(
        peft,
      );
      if (m) return `lora/${m[1]}/${m[2]}`;
      const h = /^base_model\.model\.classifier\.modules_to_save\.default\.(.+)$/.exec(peft)!;
      return `head/classifier.${h[1]}`;
    };
    try {
      const r = await gradients(
        dir,
        out,
        { method: "lora", size: 4, loraAlpha: 8, seed: 0 },
        (state) => {
          for (const [peft, a] of Object.entries(ref.lora_weights as Record<string, Arr>)) {
            const n = ours(peft);
            assert.ok(state[n], `init state has ${n}`);
            state[n] = n.startsWith("head/") ? toStored(n, a) : Float32Array.from(a.data);
          }
        },
        ref,
        name.startsWith("bert"),
      );
      assert.equal(r.meta.trainableCount, ref.trainable_param_counts.total);
      // r·(d_in + d_out) per target (query and value of 3 layers) plus the head.
      assert.equal(r.meta.trainableCount, 4 * (32 + 32) * 6 + ref.trainable_param_counts.head);
      assert.ok(Math.abs(r.loss - ref.loss) < 1e-5, `loss ${r.loss} vs ${ref.loss}`);
      for (const [peft, g] of Object.entries(ref.grads as Record<string, Arr>)) {
        const n = ours(peft);
        assertClose(
          peft,
          r.grads[n],
          n.startsWith("head/") ? toStored(n, g) : Float32Array.from(g.data),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
}

Deno.test("LoRA on word_embeddings: E + s·AᵀBᵀ, gradients by the chain rule from full fine-tuning's", async () => {
  const ref = JSON.parse(readFileSync(`${ORACLE}/grad/bert-seqcls/full.json`, "utf8"));
  const dir = modelDir("bert-seqcls");
  const outLora = mkdtempSync(join(tmpdir(), "idim-grad-lora-"));
  const outFull = mkdtempSync(join(tmpdir(), "idim-grad-full-"));
  const r = 2, alpha = 4, s = alpha / r;
  const E = "embeddings.word_embeddings";
  try {
    let A: Float32Array = new Float32Array(0), B: Float32Array = new Float32Array(0);
    const lora = await gradients(
      dir,
      outLora,
      { method: "lora", size: r, loraAlpha: alpha, loraTargets: ["word_embeddings"], seed: 0 },
      (state) => {
        assert.ok(state[`lora/${E}/A`].every((v) => v === 0), "A starts at zero (PEFT)");
        assert.ok(state[`lora/${E}/B`].some((v) => v !== 0), "B starts normal (PEFT)");
        // Non-zero A so that both factors have gradients.
        A = state[`lora/${E}/A`] = Float32Array.from(state[`lora/${E}/A`], (_, i) => Math.sin(i));
        B = state[`lora/${E}/B`];
      },
      ref,
      true,
    );
    const V = A.length / r, H = B.length / r;
    const full = await gradients(
      dir,
      outFull,
      { method: "full", seed: 0 },
      (state) => {
        const e = state[`param/${E}.weight`];
        for (let v = 0; v < V; v++) {
          for (let h = 0; h < H; h++) {
            let m = 0;
            for (let k = 0; k < r; k++) m += A[k * V + v] * B[h * r + k];
            e[v * H + h] += s * m;
          }
        }
      },
      ref,
      true,
    );
    const G = full.grads[`param/${E}.weight`];
    assert.ok(Math.abs(lora.loss - full.loss) < 1e-6, `loss ${lora.loss} vs ${full.loss}`);
    const gA = new Float32Array(r * V), gB = new Float32Array(H * r);
    for (let v = 0; v < V; v++) {
      for (let h = 0; h < H; h++) {
        for (let k = 0; k < r; k++) {
          gA[k * V + v] += s * G[v * H + h] * B[h * r + k];
          gB[h * r + k] += s * G[v * H + h] * A[k * V + v];
        }
      }
    }
    assertClose("A", lora.grads[`lora/${E}/A`], gA);
    assertClose("B", lora.grads[`lora/${E}/B`], gB);
    assertClose(
      "classifier",
      lora.grads["head/classifier.weight"],
      full.grads["param/classifier.weight"],
    );
    assert.equal(lora.meta.trainableCount, r * (V + H) + 32 * 3 + 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outLora, { recursive: true, force: true });
    rmSync(outFull, { recursive: true, force: true });
  }
});
