/**
 * Step time of BERT-style encoder classifiers trained by idim's compiled ONNX graph (forward +
 * backward + AdamW in one session.run) and by PyTorch 2.13 (the CPU wheel, MKL + oneDNN, in a
 * venv `bench/torch/venv.ts` creates; same architecture, same thread count), measured side by
 * side in one run. Shapes: 2 and 4 layers at batch 32, sequence 64, hidden 256, 4 heads,
 * intermediate 1024 (all threads), and the embedded default's model under each of its methods
 * as the pipeline trains them, read from pipeline.yaml through the planner (`default_graphs.ts`;
 * today vocab 4,096, hidden 64, 2 heads, intermediate 256, 2 layers, 5 labels, batch 32 × 32,
 * 1 thread): full fine-tuning, DID at its largest d with its projection (global, d = 1,024) and
 * LoRA at its largest r on its targets (r = 8 on word_embeddings, query and value), each against
 * the same method in PyTorch (bench/torch/bert_step.py). Also: achieved GFLOP/s against a MatMul peak measured in the same
 * run, for the whole step and for ORT's MatMul kernels inside it, ORT's per-op-type profile of
 * idim's step (a separate profiled session), and the Walsh–Hadamard transform at L = 2^20.
 *
 *   deno run -A bench/onnx_bench.ts [--threads N] [--steps N] [--rounds N] [--no-torch]
 *     [--no-profile] [--only NAME] [--verbose]
 *
 * idim and torch run in alternating rounds (steps per round each) so both see the same load;
 * medians and minimums of all step times are reported. Both are warmed up first (idim once,
 * 40 steps; torch 10 steps in each round's process): until V8 has collected a few generations
 * of a step's output buffers, every step's outputs land in fresh pages (at the default's earlier
 * 32 × 64 shape, full fine-tuning: ~1,090 page faults and ~17 ms a step on these VMs), which is start-up, not
 * the step a 320-step run spends its time in.
 *
 * Writes bench/results/onnx.json. glibc's malloc thresholds matter for ORT's fresh output
 * buffers; when MALLOC_MMAP_THRESHOLD_ is unset the script re-runs itself with them set.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import * as o from "../lib/onnx/mod.ts";
import {
  classifierGraph,
  type EncoderConfig,
  exportGraphs,
  initClassifier,
  initWeights,
  readInitState,
  smallBertConfig,
  toHfConfig,
} from "../lib/models/mod.ts";
import { formatProfile, type ProfileSummary, summarizeProfile } from "../lib/onnx/mod.ts";
import { torchEnv, torchPython } from "./torch/venv.ts";
import { countNodes } from "./onnx_nodes.ts";
import { type DefaultGraphs, defaultGraphs, type DefaultShape } from "./default_graphs.ts";

const ROOT = join(dirname(fromFileUrl(import.meta.url)), "..");
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: "33554432", MALLOC_TRIM_THRESHOLD_: "17179869184" };

/** A bench shape: a BERT-style classifier at a batch and sequence length. */
interface BenchConfig extends DefaultShape {
  eps: number;
}

/** The lib/models config of a bench shape. */
function modelConfig(c: BenchConfig): EncoderConfig {
  return smallBertConfig({ ...c, labels: c.classes });
}

function config(layers: number): BenchConfig {
  return {
    vocab: 1000,
    hidden: 256,
    heads: 4,
    intermediate: 1024,
    layers,
    maxPos: 64,
    classes: 2,
    eps: 1e-12,
    batch: 32,
    seq: 64,
  };
}

/** The embedded default's graphs, planned from pipeline.yaml (`default_graphs.ts`). */
const DEFAULT = defaultGraphs();
/** The default's model at its batch and sequence length, as its runs train it. */
const DEFAULT_SHAPE: BenchConfig = { ...DEFAULT.shape, eps: 1e-12 };

/**
 * How a row trains: `full` (the classifier graph, every parameter, AdamW) or, at the default's
 * shape, the pipeline's own exported graphs (`lib/models` exportGraphs, with the settings the
 * pipeline plans: AdamW, clipping, the linear warm-up/decay schedule) for full fine-tuning, DID
 * at the default's largest d and LoRA at its largest r on its targets.
 */
type Method = { kind: "full" } | { kind: "export"; graphs: DefaultGraphs };

/** One bench row: a shape, its thread count (undefined: all threads) and its method. */
interface RowSpec {
  name: string;
  config: BenchConfig;
  threads?: number;
  method: Method;
}

const ROWS: RowSpec[] = [
  { name: "L2-H256", config: config(2), method: { kind: "full" } },
  { name: "L4-H256", config: config(4), method: { kind: "full" } },
  ...(["full", "did", "lora"] as const).map((m) => ({
    name: `default-${m}`,
    config: DEFAULT_SHAPE,
    threads: 1,
    method: { kind: "export" as const, graphs: DEFAULT[m] },
  })),
];

/** Matrix-multiply FLOPs of one training step (backward ≈ 2 × forward). */
export function stepFlops(c: BenchConfig): number {
  const T = c.batch * c.seq, H = c.hidden;
  const perLayer = 4 * 2 * T * H * H + 2 * 2 * T * H * c.intermediate + 2 * 2 * T * c.seq * H;
  const head = 2 * c.batch * H * H + 2 * c.batch * H * c.classes;
  return 3 * (c.layers * perLayer + head);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A trained session of one row: `run(n)` times n steps. */
interface IdimSession {
  run(n: number): Promise<number[]>;
  release(): Promise<void>;
  endProfiling(): void;
  nodes: number;
  params: number;
}

/** The batch of shape `c` (token ids spread over the vocabulary, no padding). */
function benchBatch(c: BenchConfig, names: string[]): Record<string, ort.Tensor> {
  const B = c.batch, S = c.seq;
  const ids = BigInt64Array.from({ length: B * S }, (_, i) => BigInt((i * 7919) % c.vocab));
  const all: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor("int64", ids, [B, S]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(B * S).fill(1n), [B, S]),
    token_type_ids: new ort.Tensor("int64", new BigInt64Array(B * S), [B, S]),
    labels: new ort.Tensor(
      "int64",
      BigInt64Array.from({ length: B }, (_, i) => BigInt(i % c.classes)),
      [
        B,
      ],
    ),
  };
  return Object.fromEntries(names.map((n) => [n, all[n]]));
}

function timer(sess: o.TrainSession, batch: Record<string, ort.Tensor>) {
  return async (n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await sess.step(batch);
      times.push(performance.now() - t0);
    }
    return times;
  };
}

/** The classifier graph of shape `c`, every parameter trained by AdamW. */
async function fullSession(c: BenchConfig, threads: number, profile?: string) {
  const g = new o.Graph("bench");
  const mc = modelConfig(c);
  const m = classifierGraph(g, mc, { seq: c.seq });
  const labels = g.input("labels", "int64", ["B"]);
  const loss = o.softmaxCrossEntropy(m.logits, labels);
  const params = [...m.params.values()];
  const spec = o.buildTrainGraph(g, {
    loss,
    params,
    optimizer: { type: "adamw", lr: 1e-4, weightDecay: 0.01 },
  });
  const sess = await o.TrainSession.create(o.toModelProto(g), spec, initClassifier(mc, 1), {
    intraOpNumThreads: threads,
    profile,
  });
  const count = params.reduce((s, t) => s + (t.shape as number[]).reduce((a, b) => a * b, 1), 0);
  return {
    run: timer(sess, benchBatch(c, ["input_ids", "attention_mask", "labels"])),
    release: () => sess.release(),
    endProfiling: () => sess.endProfiling(),
    nodes: o.liveNodes(g).length,
    params: count,
  };
}

/**
 * The pipeline's exported graphs of method `m` on a randomly initialised model of shape `c`
 * (a BERT with an MLM head, as the default's pretrained checkpoints), in a temp folder.
 */
async function exportedSession(
  c: BenchConfig,
  m: DefaultGraphs,
  threads: number,
  profile?: string,
): Promise<IdimSession> {
  const dir = Deno.makeTempDirSync({ prefix: "idim-bench-export-" });
  try {
    const modelDir = join(dir, "model"), out = join(dir, "graphs");
    Deno.mkdirSync(modelDir);
    Deno.mkdirSync(out);
    const mc = modelConfig(c);
    Deno.writeTextFileSync(join(modelDir, "config.json"), JSON.stringify(toHfConfig(mc)));
    initWeights(mc, 0, modelDir, { head: "mlm" });
    const meta = exportGraphs(modelDir, out, {
      method: m.method,
      size: m.size,
      batch: c.batch,
      seq: c.seq,
      numLabels: c.classes,
      seed: 0,
      projection: m.projection,
      loraAlpha: m.loraAlpha,
      loraTargets: m.loraTargets,
      optimizer: {
        type: "adamw",
        lr: 1e-3,
        weightDecay: m.weightDecay,
        clipNorm: m.clipNorm,
        schedule: { warmupSteps: m.warmupSteps, totalSteps: m.totalSteps },
      },
      modelName: `bench-${m.method}`,
    });
    const trainPath = join(out, meta.files.train);
    const spec = JSON.parse(Deno.readTextFileSync(`${trainPath}.json`)) as o.TrainSpec;
    const sess = await o.TrainSession.create(trainPath, spec, readInitState(out), {
      intraOpNumThreads: threads,
      profile,
    });
    return {
      run: timer(sess, benchBatch(c, [...meta.inputs.train, "labels"])),
      release: () => sess.release(),
      endProfiling: () => sess.endProfiling(),
      nodes: countNodes(trainPath),
      params: meta.trainableCount,
    };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The idim session of a row. */
function idimSession(r: RowSpec, threads: number, profile?: string): Promise<IdimSession> {
  return r.method.kind === "full"
    ? fullSession(r.config, threads, profile)
    : exportedSession(r.config, r.method.graphs, threads, profile);
}

/** ORT's per-op-type profile of `steps` idim steps (after `warmup` steps) of row `r`. */
async function idimProfile(
  r: RowSpec,
  threads: number,
  warmup: number,
  steps = 5,
): Promise<ProfileSummary> {
  const dir = Deno.makeTempDirSync({ prefix: "idim-profile-" });
  const s = await idimSession(r, threads, join(dir, "step"));
  await s.run(warmup + steps);
  s.endProfiling();
  await s.release();
  const file = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".json"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const summary = summarizeProfile(join(dir, file.name), warmup);
  Deno.removeSync(dir, { recursive: true });
  return summary;
}

async function timeGraph(
  g: o.Graph,
  feeds: Record<string, ort.Tensor>,
  threads: number,
  reps: number,
  best = false,
) {
  const s = await ort.InferenceSession.create(o.toModelProto(g), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    t.push(performance.now() - t0);
  }
  await s.release();
  return best ? Math.min(...t) : median(t);
}

/** GFLOP/s of one ORT MatMul [M,K]×[K,N] (float32). */
async function matmulPeak(threads: number, M: number, K: number, N: number): Promise<number> {
  const g = new o.Graph();
  const a = g.input("a", "float32", [M, K]);
  const b = g.input("b", "float32", [K, N]);
  g.output(o.matmul(a, b), "y");
  const ms = await timeGraph(
    g,
    {
      a: new ort.Tensor("float32", new Float32Array(M * K).fill(0.5), [M, K]),
      b: new ort.Tensor("float32", new Float32Array(K * N).fill(0.25), [K, N]),
    },
    threads,
    10,
    true,
  );
  return (2 * M * K * N) / (ms / 1000) / 1e9;
}

async function whtTime(bits: number, threads: number): Promise<number> {
  const g = new o.Graph();
  const x = g.input("x", "float32", [1, 2 ** bits]);
  g.output(o.wht(x), "y");
  return await timeGraph(
    g,
    { x: new ort.Tensor("float32", new Float32Array(2 ** bits).fill(1), [1, 2 ** bits]) },
    threads,
    10,
  );
}

/** What bench/torch/bert_step.py needs to train row `r` as idim does. */
function torchMethod(r: RowSpec): Record<string, unknown> {
  const m = r.method;
  if (m.kind === "full") return { method: "full", weight_decay: 0.01 };
  const g = m.graphs;
  return {
    method: g.method,
    weight_decay: g.weightDecay,
    clip_norm: g.clipNorm,
    schedule: [g.warmupSteps, g.totalSteps],
    ...(g.method === "did" ? { d: g.size } : {}),
    ...(g.method === "lora" ? { r: g.size, alpha: g.loraAlpha, lora_targets: g.loraTargets } : {}),
  };
}

async function torchStep(
  python: string,
  r: RowSpec,
  threads: number,
  warmup: number,
  steps: number,
) {
  const script = join(ROOT, "bench/torch/bert_step.py");
  const job = {
    ...r.config,
    ...torchMethod(r),
    threads,
    warmup,
    steps,
    matmul: [2048, 256, 1024],
  };
  try {
    const out = await new Deno.Command(python, {
      args: [script, JSON.stringify(job)],
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: torchEnv(),
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr);
      return {
        error: err.includes("No module named 'torch'") ? "torch is not installed" : err.slice(-500),
      };
    }
    return JSON.parse(new TextDecoder().decode(out.stdout)) as {
      torch: string;
      threads: number;
      step_ms: number[];
      matmul_gflops: number;
    };
  } catch (e) {
    return { error: `cannot run ${python}: ${(e as Error).message}` };
  }
}

/** ORT's MatMul kernels' time per step in a profile: Gemm, MatMul and their fused forms. */
export function matmulKernelMs(p: ProfileSummary): number {
  const kinds = new Set(["Gemm", "MatMul", "FusedMatMul", "FusedGemm"]);
  return p.ops.filter((op) => kinds.has(op.op)).reduce((s, op) => s + op.ms, 0);
}

function arg(name: string, dflt: number, args: string[]): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** Run the benchmark; returns the result record written to bench/results/onnx.json. */
export async function main(args: string[] = Deno.args): Promise<Record<string, unknown>> {
  if (!Deno.env.get("MALLOC_MMAP_THRESHOLD_") && !args.includes("--no-respawn")) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fromFileUrl(import.meta.url), ...args, "--no-respawn"],
      env: MALLOC_ENV,
    }).spawn().status;
    const path = join(ROOT, "bench/results/onnx.json");
    if (!r.success) throw new Error(`onnx_bench exited with ${r.code}`);
    return JSON.parse(Deno.readTextFileSync(path));
  }
  const threads = arg("--threads", navigator.hardwareConcurrency, args);
  const steps = arg("--steps", 10, args);
  const rounds = arg("--rounds", 3, args);
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
  const idimWarmup = 40, torchWarmup = 10;
  const peakShapes: [number, number, number][] = [[2048, 256, 1024], [1024, 1024, 1024]];
  const peakByThreads = new Map<number, { shape: number[]; gflops: number }[]>();
  const peakOf = async (t: number) => {
    if (!peakByThreads.has(t)) {
      const ps = [];
      for (const [M, K, N] of peakShapes) {
        ps.push({ shape: [M, K, N], gflops: await matmulPeak(t, M, K, N) });
      }
      peakByThreads.set(t, ps);
    }
    return Math.max(...peakByThreads.get(t)!.map((p) => p.gflops));
  };
  const py = args.includes("--no-torch") ? { error: "--no-torch" } : await torchPython();
  const rows = [];
  for (const spec of ROWS.filter((r) => !only || r.name === only)) {
    const c = spec.config;
    const th = spec.threads ?? threads;
    const peak = await peakOf(th);
    // GFLOP/s only where every parameter trains (stepFlops counts the full step's MatMuls).
    const trainsAll = spec.method.kind === "full" || spec.method.graphs.method === "full";
    const flops = trainsAll ? stepFlops(c) : undefined;
    const idim = await idimSession(spec, th);
    await idim.run(idimWarmup);
    // Interleave idim and torch in rounds so both see the same machine load.
    const idimTimes: number[] = [], torchTimes: number[] = [];
    let torch: Awaited<ReturnType<typeof torchStep>> = "error" in py ? py : { error: "" };
    for (let r = 0; r < rounds; r++) {
      idimTimes.push(...await idim.run(steps));
      if (!("python" in py)) continue;
      torch = await torchStep(py.python, spec, th, torchWarmup, steps);
      if ("step_ms" in torch) torchTimes.push(...torch.step_ms);
      else break;
    }
    await idim.release();
    const profile = args.includes("--no-profile")
      ? undefined
      : await idimProfile(spec, th, idimWarmup);
    const idimMs = median(idimTimes);
    const torchMs = torchTimes.length ? median(torchTimes) : undefined;
    const gf = (ms: number) => flops ? flops / (ms / 1000) / 1e9 : undefined;
    const frac = (ms: number) => flops ? gf(ms)! / peak : undefined;
    const matmulMs = profile ? matmulKernelMs(profile) : undefined;
    rows.push({
      name: spec.name,
      config: c,
      threads: th,
      params: idim.params,
      graph_nodes: idim.nodes,
      step_flops: flops,
      matmul_peak_gflops: peak,
      idim_ms: idimMs,
      idim_ms_min: Math.min(...idimTimes),
      idim_ms_all: idimTimes,
      idim_gflops: gf(idimMs),
      idim_fraction_of_peak: frac(idimMs),
      idim_matmul_kernel_ms: matmulMs,
      idim_matmul_kernel_fraction_of_peak: matmulMs && flops ? gf(matmulMs)! / peak : undefined,
      idim_matmul_share_of_kernels: matmulMs && profile ? matmulMs / profile.kernelMs : undefined,
      torch_ms: torchMs,
      torch_ms_min: torchTimes.length ? Math.min(...torchTimes) : undefined,
      torch_ms_all: torchTimes.length ? torchTimes : undefined,
      torch_gflops: torchMs ? gf(torchMs) : undefined,
      torch_fraction_of_peak: torchMs ? frac(torchMs) : undefined,
      torch_matmul_gflops: "matmul_gflops" in torch ? torch.matmul_gflops : undefined,
      torch_version: "torch" in torch ? torch.torch : undefined,
      torch_error: "error" in torch ? torch.error : undefined,
      ratio_idim_over_torch: torchMs ? idimMs / torchMs : undefined,
      ratio_of_minimums: torchTimes.length
        ? Math.min(...idimTimes) / Math.min(...torchTimes)
        : undefined,
      idim_profile: profile,
    });
  }
  const wht = { bits: 20, threads: 1, ms: await whtTime(20, 1) };
  const result = {
    date: new Date().toISOString(),
    command: "deno task bench onnx",
    steps_per_round: steps,
    rounds,
    load_average: Deno.loadavg(),
    threads,
    malloc_env: { ...MALLOC_ENV, set: !!Deno.env.get("MALLOC_MMAP_THRESHOLD_") },
    onnxruntime_node: ort.env.versions.common,
    torch: "error" in py ? py.error : rows.find((r) => r.torch_version)?.torch_version,
    matmul_peak_ort: Object.fromEntries(peakByThreads),
    rows,
    wht,
  };
  console.log(
    `ORT MatMul peak GFLOP/s by threads: ${
      [...peakByThreads].map(([t, p]) => `${t}: ${Math.max(...p.map((x) => x.gflops)).toFixed(1)}`)
        .join(", ")
    }; torch ${result.torch}`,
  );
  const pct = (x: number | undefined) => x === undefined ? "–" : `${(100 * x).toFixed(0)}%`;
  const num = (x: number | undefined, w: number) =>
    (x === undefined ? "n/a" : x.toFixed(1)).padStart(w);
  console.log(
    "row           thr  trainable  idim ms  torch ms  idim/torch  idim GFLOP/s (% peak)  " +
      "torch (% peak)  MatMul kernels (% peak, % of step)  (medians)",
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(13)} ${String(r.threads).padStart(3)}  ${
        r.params >= 1e5 ? `${(r.params / 1e6).toFixed(2)}M` : String(r.params)
      }`.padEnd(29) +
        `${num(r.idim_ms, 7)}  ${num(r.torch_ms, 8)}  ${
          r.ratio_idim_over_torch?.toFixed(2).padStart(10) ?? "       n/a"
        }  ${num(r.idim_gflops, 12)} (${pct(r.idim_fraction_of_peak)})  ${
          num(r.torch_gflops, 8)
        } (${pct(r.torch_fraction_of_peak)})  ${pct(r.idim_matmul_kernel_fraction_of_peak)}, ${
          pct(r.idim_matmul_share_of_kernels)
        }${r.torch_error ? `  [${r.torch_error.trim().split("\n").pop()}]` : ""}`,
    );
  }
  if (args.includes("--verbose")) {
    for (const r of rows) {
      const fmt = (xs: number[] | undefined) => xs?.map((x) => x.toFixed(1)).join(" ") ?? "n/a";
      console.log(
        `${r.name} idim steps: ${fmt(r.idim_ms_all)}\n${r.name} torch steps: ${
          fmt(r.torch_ms_all)
        }`,
      );
    }
  }
  for (const r of rows) {
    if (r.idim_profile) console.log(`idim profile ${r.name}: ${formatProfile(r.idim_profile)}`);
  }
  console.log(`wht L=2^20, 1 thread: ${wht.ms.toFixed(2)} ms`);
  Deno.mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  if (!only) {
    Deno.writeTextFileSync(
      join(ROOT, "bench/results/onnx.json"),
      JSON.stringify(result, null, 2) + "\n",
    );
  }
  return result;
}

if (import.meta.main) await main();
