/**
 * The pretrain stage on the real corpus with a tiny model: it learns, chained checkpoints equal a
 * straight run bit for bit, an interrupted or killed run resumes to the same weights, and the
 * artifact loads into fine-tuning graphs (full and LoRA) whose forward pass runs.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { selectDevice } from "../../lib/device/mod.ts";
import { exportGraphs } from "../../lib/models/export.ts";
import { readInitState } from "../../lib/models/init_state.ts";
import { readWeightsIndex } from "../../lib/models/weights_file.ts";
import { EvalSession } from "../../lib/onnx/session.ts";
import type { EvalSpec } from "../../lib/onnx/train.ts";
import { readOptimizerState } from "../../lib/pretrain/optimizer_state.ts";
import type { StageContext } from "../../lib/pipeline/stage.ts";
import pretrainStage from "../../stages/pretrain.ts";
import { bytes, parse, runTiny, tempDir, tinyRaw, writeSmallTokenizer } from "./helpers.ts";
import { contextDefaults } from "../data/stage_context.ts";

const root = tempDir("stage");
const tokenizer = await writeSmallTokenizer(join(root, "tokenizer"));
const chain = (steps: number, extra: Record<string, unknown> = {}) =>
  tinyRaw({ steps, schedule_steps: 20, checkpoint_every: 5, ...extra });

/** Asserts two byte arrays are equal, naming the first difference (no giant diff). */
function assertSameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const i = a.findIndex((x, k) => x !== b[k]);
  assert.equal(i, -1, `${what}: first difference at byte ${i}`);
}

/** Asserts two artifacts hold the same weights and optimizer state, byte for byte. */
function assertSameArtifact(a: string, b: string): void {
  assertSameBytes(bytes(join(a, "weights.bin")), bytes(join(b, "weights.bin")), "weights.bin");
  assertSameBytes(
    bytes(join(a, "optimizer_state.bin")),
    bytes(join(b, "optimizer_state.bin")),
    "optimizer_state.bin (Adam moments, loss per step, step, data order)",
  );
}

Deno.test("pretrain: MLM loss falls over 60 steps on the real corpus; the artifact is complete", async () => {
  const { dir, manifest } = await runTiny(root, "learn", tinyRaw({ steps: 60 }), tokenizer);
  for (const f of pretrainStage.outputs(parse(tinyRaw({ steps: 60 })))) {
    assert.ok(existsSync(join(dir, f)), `${f} written`);
  }
  const loss = readOptimizerState(dir).loss;
  assert.equal(loss.length, 60);
  const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
  const first = mean(loss.subarray(0, 10)), last = mean(loss.subarray(50));
  assert.ok(last < first - 0.5, `mean loss ${first} over steps 1–10, ${last} over 51–60`);
  assert.ok(first > Math.log(512) - 0.5, `starts near ln(vocab): ${first}`);
  // Provenance in model.json.
  const m = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
  assert.equal(m.steps, 60);
  assert.equal(m.source, "pretrain");
  assert.ok(m.heldOut.masked > 0 && m.heldOut.accuracy >= 0 && m.heldOut.accuracy <= 1);
  assert.equal(m.lossCurve.at(-1)[0], 60);
  assert.deepEqual(manifest.heldOut, m.heldOut);
  // config.json is HF-style and the tokenizer is the input's.
  const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  assert.equal(cfg.model_type, "bert");
  assert.equal(cfg.vocab_size, 512);
  assert.equal(cfg.hidden_size, 16);
  assert.deepEqual(bytes(join(dir, "tokenizer.json")), bytes(join(tokenizer, "tokenizer.json")));
  // weights.json: encoder, pooler and MLM head; no classifier.
  const names = Object.keys(readWeightsIndex(dir).tensors);
  assert.ok(names.includes("pooler.dense.weight"));
  assert.ok(names.includes("cls.predictions.bias"));
  assert.ok(!names.some((n) => n.startsWith("classifier")));
});

Deno.test("pretrain: step 20 continued from step 10 equals a straight 20-step run, bit for bit", async () => {
  const straight = await runTiny(root, "straight20", chain(20), tokenizer);
  const ten = await runTiny(root, "chain10", chain(10), tokenizer);
  assert.equal(readOptimizerState(ten.dir).meta.step, 10);
  const raw20 = chain(20, { from: { kind: "pretrain", params: chain(10) } });
  const twenty = await runTiny(root, "chain20", raw20, tokenizer, { from: ten.dir });
  assert.equal(twenty.manifest.ranSteps, 10);
  assert.equal(twenty.manifest.startStep, 10);
  assertSameArtifact(straight.dir, twenty.dir);
  assert.deepEqual(twenty.manifest.heldOut, straight.manifest.heldOut);
  // Step 0 is the random initialisation: a valid checkpoint to continue from.
  const zero = await runTiny(root, "chain0", chain(0), tokenizer);
  assert.equal(zero.manifest.ranSteps, 0);
  assert.ok(Math.abs(zero.manifest.heldOut.loss - Math.log(512)) < 0.3, "untrained: loss ≈ ln V");
  const from0 = chain(20, { from: { kind: "pretrain", params: chain(0) } });
  const again = await runTiny(root, "chain0to20", from0, tokenizer, { from: zero.dir });
  assertSameArtifact(straight.dir, again.dir);
  // A from dir of another run is refused with the file named.
  await assert.rejects(
    runTiny(
      root,
      "wrong",
      tinyRaw({
        steps: 20,
        seed: 1,
        from: { kind: "pretrain", params: tinyRaw({ steps: 10, seed: 1, schedule_steps: 20 }) },
      }),
      tokenizer,
      { from: ten.dir },
    ),
    /optimizer_state\.json: written by another run/,
  );
});

Deno.test("pretrain: an interrupted run resumes from its scratch checkpoint to the same weights", async () => {
  const straight = join(root, "straight20");
  if (!existsSync(join(straight, "weights.bin"))) {
    await runTiny(root, "straight20", chain(20), tokenizer);
  }
  const ac = new AbortController();
  await assert.rejects(
    runTiny(root, "interrupted", chain(20), tokenizer, {
      signal: ac.signal,
      onProgress: (note) => note?.startsWith("step 10 ") && ac.abort(new Error("stop")),
    }),
    /stop/,
  );
  rmSync(join(root, "interrupted"), { recursive: true });
  const resumed = await runTiny(root, "interrupted", chain(20), tokenizer);
  assert.equal(resumed.manifest.resumedFrom, 10);
  assert.equal(resumed.manifest.ranSteps, 10);
  assertSameArtifact(straight, resumed.dir);
});

Deno.test("pretrain: kill -9 mid-run, then the rerun resumes at the last checkpoint", async () => {
  const straight = join(root, "straight20");
  if (!existsSync(join(straight, "weights.bin"))) {
    await runTiny(root, "straight20", chain(20), tokenizer);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./kill_child.ts", import.meta.url).pathname, root, tokenizer],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const st = await child.status;
  assert.equal(st.signal, "SIGKILL", new TextDecoder().decode((await child.output()).stderr));
  assert.ok(existsSync(join(root, "killed-scratch", "checkpoint.bin")));
  rmSync(join(root, "killed"), { recursive: true, force: true });
  const resumed = await runTiny(root, "killed", chain(20), tokenizer);
  assert.equal(resumed.manifest.resumedFrom, 15);
  assertSameArtifact(straight, resumed.dir);
});

Deno.test("pretrain: the artifact loads into seqcls graphs (full, LoRA, DID) with a fresh head; forward runs", async () => {
  const ctxDir = join(root, "stage-out");
  Deno.mkdirSync(ctxDir, { recursive: true });
  const params = parse(tinyRaw({ steps: 5 }));
  assert.deepEqual(pretrainStage.inputs!(params), {
    tokenizer: { kind: "embedded-tokenizer", params: { vocab_size: 512 } },
  });
  const ctx: StageContext<typeof params> = {
    ...contextDefaults(),
    params,
    inputs: { tokenizer },
    outDir: ctxDir,
    scratchDir: join(root, "stage-scratch"),
    device: "cpu",
    log: () => {},
    progress: () => {},
    signal: new AbortController().signal,
  };
  await pretrainStage.run(ctx);
  for (const method of ["full", "lora", "did"] as const) {
    const out = join(root, `export-${method}`);
    Deno.mkdirSync(out);
    const meta = exportGraphs(ctxDir, out, {
      method,
      size: method === "full" ? undefined : method === "lora" ? 4 : 16,
      ...(method === "lora" ? { loraAlpha: 8 } : {}),
      batch: 2,
      seq: 16,
      numLabels: 3,
      optimizer: { type: "adamw", lr: 1e-3 },
      seed: 0,
    });
    const init = readInitState(out);
    const spec = JSON.parse(readFileSync(join(out, "eval.onnx.json"), "utf8")) as EvalSpec;
    const sess = await EvalSession.create(join(out, "eval.onnx"), spec);
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of meta.trainable) {
      feeds[t.name] = new ort.Tensor("float32", init[t.name], t.shape);
    }
    const ids = new BigInt64Array(32).map((_, i) => BigInt(5 + i));
    const res = await sess.run(feeds, {
      input_ids: { data: ids, dims: [2, 16] },
      attention_mask: { data: new BigInt64Array(32).fill(1n), dims: [2, 16] },
      token_type_ids: { data: new BigInt64Array(32), dims: [2, 16] },
    });
    const logits = res.logits.data as Float32Array;
    assert.equal(logits.length, 6, `${method}: [2, 3] logits`);
    assert.ok(logits.every(Number.isFinite), `${method}: finite logits`);
    await sess.release();
  }
});

Deno.test("pretrain: --device auto resolves through lib/device and model.json records the provider", async () => {
  const sel = await selectDevice("auto");
  const { dir, manifest } = await runTiny(root, "auto", tinyRaw({ steps: 2 }), tokenizer, {
    device: "auto",
  });
  const m = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
  assert.equal(m.provider, sel.provider);
  assert.equal(manifest.provider, sel.provider);
  assert.equal(m.device.requested, "auto");
  if (sel.skipped.length === 2) {
    // No GPU provider works here: auto falls back to cpu, and says which it skipped.
    assert.equal(m.provider, "cpu");
    assert.deepEqual(m.device.skipped.map((s: { provider: string }) => s.provider), [
      "cuda",
      "webgpu",
    ]);
  }
  // An explicit cpu run records cpu with nothing skipped.
  const cpu = await runTiny(root, "cpu", tinyRaw({ steps: 0 }), tokenizer, { device: "cpu" });
  assert.equal(cpu.manifest.provider, "cpu");
  assert.deepEqual(cpu.manifest.device, { requested: "cpu", skipped: [] });
});

globalThis.addEventListener("unload", () => rmSync(root, { recursive: true, force: true }));

Deno.test("pretrain: a missing tokenizer or a from dir without optimizer state is named in the error", async () => {
  await assert.rejects(
    runTiny(root, "no-tok", tinyRaw({ steps: 1 }), join(root, "nowhere")),
    /nowhere\/tokenizer\.json: missing \(the tokenizer input\)/,
  );
  const raw = tinyRaw({
    steps: 2,
    from: { kind: "pretrain", params: tinyRaw({ steps: 1, schedule_steps: 2 }) },
  });
  await assert.rejects(
    runTiny(root, "no-state", raw, tokenizer, { from: tokenizer }),
    /config\.json: missing: "from" must be a pretrain instance's model artifact/,
  );
});
