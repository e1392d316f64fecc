/**
 * The idim side of the prepared GPU check (see run_check.sh and docs/gpu.md).
 *
 *   deno run -A bench/gpu/gpu_bench.ts probe --out probe.json
 *   deno run -A bench/gpu/gpu_bench.ts prep  --work DIR [--configs base:lora,…] [--batch 8 --seq 128]
 *   deno run -A bench/gpu/gpu_bench.ts time  --work DIR --out idim.json [--device webgpu]
 *                                            [--configs …] [--warmup 2 --steps 5] [--deadline EPOCH_S]
 *
 * `prep` generates random models of roberta-base / roberta-large shape (and a roberta-base
 * shape with a 6× vocabulary: the frozen-weights check) and exports their DID (d = 1000) and
 * LoRA (r = 8) training graphs, one child process per model, in parallel. `time` runs each
 * configuration in its own child: one profiled step to count where the nodes ran (fallback),
 * then warm-up and timed steps; it appends each row to `--out` as soon as it is measured and
 * skips what would start after `--deadline`.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import {
  executionProviders,
  measurePlacement,
  type Placement,
  probeAll,
  type Provider,
  trainFeeds,
} from "../../lib/device/mod.ts";
import {
  type EncoderConfig,
  exportGraphs,
  type GraphMeta,
  initWeights,
  readInitState,
  ROBERTA_LARGE_SHAPE,
  toHfConfig,
} from "../../lib/models/mod.ts";
import {
  ortOptions,
  type SessionOptions,
  TrainSession,
  type TrainSpec,
} from "../../lib/onnx/mod.ts";

/** Model shapes of the check. `base-v6` is roberta-base with 6× the vocabulary (frozen only). */
export const SHAPES: Record<string, EncoderConfig> = {
  base: {
    ...ROBERTA_LARGE_SHAPE,
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    intermediateSize: 3072,
  },
  large: ROBERTA_LARGE_SHAPE,
  "base-v6": {
    ...ROBERTA_LARGE_SHAPE,
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    intermediateSize: 3072,
    vocabSize: 50265 * 6,
  },
};

const DEFAULT_CONFIGS = "base:lora,base-v6:lora,base:did,large:lora,large:did,large:did-batched";

/** `did-batched`: DID with the per-tensor projections batched by padded length (fastfood_batch). */
type BenchMethod = "did" | "did-batched" | "lora";
const METHODS: BenchMethod[] = ["did", "did-batched", "lora"];

function arg(name: string, dflt: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : dflt;
}

function configs(): { shape: string; method: BenchMethod }[] {
  return arg("configs", DEFAULT_CONFIGS).split(",").map((c) => {
    const [shape, method] = c.split(":");
    if (!SHAPES[shape] || !METHODS.includes(method as BenchMethod)) {
      throw new Error(
        `--configs: bad entry ${c} (shape ${Object.keys(SHAPES)}, method ${METHODS.join("|")})`,
      );
    }
    return { shape, method: method as BenchMethod };
  });
}

const isDid = (m: string) => m === "did" || m === "did-batched";
const sizeOf = (m: string) => (isDid(m) ? 1000 : 8);

/** Writes one model and its graphs under `work`. */
function prepShape(work: string, shape: string, methods: BenchMethod[]): void {
  const batch = Number(arg("batch", "8")), seq = Number(arg("seq", "128"));
  const modelDir = join(work, shape, "model");
  mkdirSync(modelDir, { recursive: true });
  let t = performance.now();
  writeFileSync(join(modelDir, "config.json"), JSON.stringify(toHfConfig(SHAPES[shape])));
  initWeights(SHAPES[shape], 0, modelDir, { head: "none" });
  console.log(`prep ${shape}: model in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  for (const method of methods) {
    t = performance.now();
    mkdirSync(join(work, shape, method), { recursive: true });
    exportGraphs(modelDir, join(work, shape, method), {
      method: isDid(method) ? "did" : "lora",
      ...(method === "did-batched" ? { fastfoodBatched: true } : {}),
      size: sizeOf(method),
      ...(method === "lora" ? { loraAlpha: 8 } : {}),
      batch,
      seq,
      numLabels: 2,
      seed: 0,
      optimizer: { type: "adamw", lr: isDid(method) ? 1e-2 : 1e-4 },
      modelName: `roberta-${shape}-shaped`,
    });
    writeFileSync(
      join(work, shape, method, "prep.json"),
      JSON.stringify({ exportSeconds: (performance.now() - t) / 1000 }),
    );
    console.log(
      `prep ${shape}:${method}: graphs in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
}

/** Timing row of one configuration. */
export interface TimeRow {
  shape: string;
  method: string;
  size: number;
  device: string;
  batch: number;
  seq: number;
  trainable: number;
  modelParams: number;
  exportSeconds: number;
  sessionSeconds: number;
  placement?: Placement;
  warmupSeconds: number[];
  stepSeconds: number[];
  medianStepMs: number;
  meanStepMs: number;
  loss: number[];
  /** The carried state stayed on the GPU between steps (SessionOptions.stateOnDevice). */
  stateOnDevice?: boolean;
  /** Why stateOnDevice was abandoned for this row (then the state went through JS). */
  stateOnDeviceError?: string;
  /** syncToHost() after the timed steps: seconds, and whether every value was finite. */
  syncToHost?: { seconds: number; finite: boolean } | { error: string };
  error?: string;
}

async function timeOne(work: string, shape: string, method: string, provider: Provider) {
  const dir = join(work, shape, method);
  const meta = JSON.parse(readFileSync(join(dir, "graph.json"), "utf8")) as GraphMeta;
  const spec = JSON.parse(readFileSync(join(dir, "train.onnx.json"), "utf8")) as TrainSpec;
  const { batch, seq } = meta;
  const ids = new BigInt64Array(batch * seq);
  for (let i = 0; i < ids.length; i++) ids[i] = BigInt(3 + ((i * 7919) % 50000));
  const mask = new BigInt64Array(batch * seq).fill(1n);
  const labels = BigInt64Array.from({ length: batch }, (_, i) => BigInt(i % 2));
  const batchT = {
    input_ids: new ort.Tensor("int64", ids, [batch, seq]),
    attention_mask: new ort.Tensor("int64", mask, [batch, seq]),
    labels: new ort.Tensor("int64", labels, [batch]),
  };
  const init = readInitState(dir);
  const opts: SessionOptions = { executionProviders: executionProviders(provider) };
  const placement = await measurePlacement(
    join(dir, "train.onnx"),
    ortOptions(opts),
    trainFeeds(spec, init, batchT),
    [spec.loss],
  );
  const warmup = Number(arg("warmup", "2")), steps = Number(arg("steps", "5"));
  const run = async (o: SessionOptions) => {
    let t = performance.now();
    const sess = await TrainSession.create(join(dir, "train.onnx"), spec, init, o);
    const sessionSeconds = (performance.now() - t) / 1000;
    const warmupSeconds: number[] = [], stepSeconds: number[] = [], loss: number[] = [];
    for (let s = 0; s < warmup + steps; s++) {
      t = performance.now();
      loss.push(await sess.step(batchT));
      (s < warmup ? warmupSeconds : stepSeconds).push((performance.now() - t) / 1000);
    }
    return { sess, sessionSeconds, warmupSeconds, stepSeconds, loss };
  };
  const onDevice = provider === "webgpu" && arg("state-on-device", "1") === "1";
  let stateOnDeviceError: string | undefined;
  let r: Awaited<ReturnType<typeof run>> | undefined;
  if (onDevice) {
    try {
      r = await run({ ...opts, stateOnDevice: true });
    } catch (e) {
      stateOnDeviceError = String((e as Error).message ?? e).slice(0, 400);
      console.error(`stateOnDevice failed, state through JS: ${stateOnDeviceError}`);
    }
  }
  r ??= await run(opts);
  const { sess, sessionSeconds, warmupSeconds, stepSeconds, loss } = r;
  let syncToHost: TimeRow["syncToHost"];
  if (sess.stateOnDevice) {
    try {
      const t = performance.now();
      await sess.syncToHost();
      const st = sess.getState();
      const finite = Object.values(st.tensors).every((a) => a.every((v) => Number.isFinite(v)));
      syncToHost = { seconds: (performance.now() - t) / 1000, finite };
    } catch (e) {
      syncToHost = { error: String((e as Error).message ?? e).slice(0, 400) };
    }
  }
  await sess.release();
  const sorted = [...stepSeconds].sort((a, b) => a - b);
  const row: TimeRow = {
    shape,
    method,
    size: meta.size ?? 0,
    device: provider,
    batch,
    seq,
    trainable: meta.trainableCount,
    modelParams: meta.modelParamCount,
    exportSeconds: JSON.parse(readFileSync(join(dir, "prep.json"), "utf8")).exportSeconds,
    sessionSeconds,
    placement,
    warmupSeconds,
    stepSeconds,
    medianStepMs: 1000 * sorted[Math.floor(sorted.length / 2)],
    meanStepMs: 1000 * stepSeconds.reduce((a, b) => a + b, 0) / stepSeconds.length,
    loss,
    stateOnDevice: onDevice && !stateOnDeviceError,
    ...(stateOnDeviceError ? { stateOnDeviceError } : {}),
    ...(syncToHost ? { syncToHost } : {}),
  };
  console.log(`ROW ${JSON.stringify(row)}`);
}

async function runChild(args: string[], timeoutS: number): Promise<{ ok: boolean; text: string }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutS * 1000);
  try {
    const res = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...(Deno.env.get("IDIM_DENO_FLAGS") ?? "").split(" ").filter(Boolean),
        ...args,
      ],
      env: { MALLOC_MMAP_THRESHOLD_: "33554432", MALLOC_TRIM_THRESHOLD_: "17179869184" },
      stdout: "piped",
      stderr: "inherit",
      signal: ac.signal,
    }).output();
    return { ok: res.success, text: new TextDecoder().decode(res.stdout) };
  } catch (e) {
    return { ok: false, text: `child killed: ${(e as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const mode = Deno.args[0];
  const work = arg("work", "/tmp/idim-gpu/work");
  const self = import.meta.filename!;
  const v8 = "--v8-flags=--max-old-space-size=16384";
  if (mode === "probe") {
    const probes = await probeAll();
    for (const p of probes) {
      console.log(
        `probe ${p.provider}: ${p.available ? "available" : "unavailable"}` +
          (p.reason ? ` — ${p.reason.split("\n")[0]}` : ""),
      );
    }
    writeFileSync(
      arg("out", "probe.json"),
      JSON.stringify({ ortVersion: ort.env.versions.node, probes }, null, 2),
    );
  } else if (mode === "prep") {
    mkdirSync(work, { recursive: true });
    rmSync(join(work, "prep.done"), { force: true });
    const byShape = new Map<string, BenchMethod[]>();
    for (const c of configs()) byShape.set(c.shape, [...(byShape.get(c.shape) ?? []), c.method]);
    const extra = ["--batch", arg("batch", "8"), "--seq", arg("seq", "128")];
    await Promise.all([...byShape].map(async ([shape, methods]) => {
      const r = await runChild([
        v8,
        self,
        "prep-one",
        "--work",
        work,
        shape,
        methods.join(","),
        ...extra,
      ], 3600);
      console.log(r.text.trim());
      if (!r.ok) console.log(`prep ${shape} FAILED`);
    }));
    writeFileSync(join(work, "prep.done"), "");
  } else if (mode === "prep-one") {
    const i = Deno.args.indexOf("prep-one");
    prepShape(work, Deno.args[i + 3], Deno.args[i + 4].split(",") as BenchMethod[]);
  } else if (mode === "time") {
    const out = arg("out", "idim.json");
    const deadline = Number(arg("deadline", "0"));
    const device = arg("device", "webgpu") as Provider;
    const rows: (TimeRow | { shape: string; method: string; error: string })[] = [];
    for (const { shape, method } of configs()) {
      const prepared = join(work, shape, method, "prep.json");
      // prep may still be running in the background: wait for this configuration's graphs
      while (
        !existsSync(prepared) && !existsSync(join(work, "prep.done")) &&
        (!deadline || deadline - Date.now() / 1000 > 20)
      ) await new Promise((r) => setTimeout(r, 1000));
      const left = deadline ? deadline - Date.now() / 1000 : 3600;
      if (!existsSync(prepared)) {
        rows.push({ shape, method, error: "not prepared (export failed or timed out)" });
      } else if (left < 20) {
        rows.push({
          shape,
          method,
          error: `skipped: ${left.toFixed(0)} s left before the deadline`,
        });
      } else {
        const extra = ["--warmup", arg("warmup", "2"), "--steps", arg("steps", "5")];
        const r = await runChild([
          v8,
          self,
          "time-one",
          "--work",
          work,
          shape,
          method,
          device,
          ...extra,
        ], left - 5);
        const line = r.text.split("\n").find((l) => l.startsWith("ROW "));
        if (r.ok && line) rows.push(JSON.parse(line.slice(4)));
        else rows.push({ shape, method, error: `child failed: ${r.text.slice(-400)}` });
      }
      const last = rows[rows.length - 1];
      console.log(
        "error" in last && last.error
          ? `time ${shape}:${method}: ${last.error}`
          : `time ${shape}:${method}: median ${(last as TimeRow).medianStepMs.toFixed(1)} ms/step`,
      );
      writeFileSync(out, JSON.stringify({ device, rows }, null, 2));
    }
  } else if (mode === "time-one") {
    const i = Deno.args.indexOf("time-one");
    await timeOne(work, Deno.args[i + 3], Deno.args[i + 4], Deno.args[i + 5] as Provider);
  } else {
    throw new Error("usage: gpu_bench.ts probe|prep|time [options] (see the module doc)");
  }
}

if (import.meta.main) await main();
