/**
 * Benchmark: a randomly initialised model of roberta-large's shape (355M parameters, generated
 * locally into a temp dir as the shared weights file), exported and trained for a few steps by
 * DID (d = 1000) and by LoRA (r = 8). Records init time, export time, the training graph's node
 * count, session-creation time, wall time per step, and peak memory (VmHWM and RssAnon from /proc/self/status), prints a table
 * and writes `bench/results/models.json`.
 *
 * Each method runs in its own child process (so its peak memory is its own), with the glibc
 * malloc settings of lib/onnx/README.md ("Process settings") and `disable_prepacking` (θ0 stays mapped and shared).
 *
 *   deno run -A bench/models_bench.ts [--batch 8] [--seq 32] [--steps 5] [--warmup 2]
 *     [--methods did,lora] [--profile] [--memory-pattern on|off] [--fastfood per-tensor|batched]
 *
 * The first steps of a method are start-up (θ0 and the Fastfood side file paged in from disk, ORT's
 * arena growing: DID's first two took 43 and 34 s where later ones take 10–11 s), so the table
 * reports the median of the steps after `--warmup`. `--memory-pattern off` runs without ORT's memory
 * pattern (the pipeline keeps it on): at roberta-large DID it lowered the peak from 14.4 to 10.5 GiB
 * but steady steps took 11.5–16 s instead of 10.0–10.7 s.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  exportGraphs,
  initWeights,
  readInitState,
  ROBERTA_LARGE_SHAPE,
  toHfConfig,
} from "../lib/models/mod.ts";
import {
  formatProfile,
  type ProfileSummary,
  summarizeProfile,
  TrainSession,
  type TrainSpec,
} from "../lib/onnx/mod.ts";
import { countNodes } from "./onnx_nodes.ts";

interface Row {
  method: string;
  size: number;
  batch: number;
  seq: number;
  trainable: number;
  exportSeconds: number;
  trainNodes: number;
  sessionSeconds: number;
  stepSeconds: number[];
  meanStepSeconds: number;
  /** Median of the steps after the warm-up ones (page-faulting θ0, the side file and ORT's arena in). */
  medianStepSeconds: number;
  /** ORT's per-op-type profile of the steps after the warm-up ones (`--profile`). */
  profile?: ProfileSummary;
  vmHWMMiB: number;
  rssAnonMiB: number;
  estimatedMiB: number;
}

function arg(name: string, dflt: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : dflt;
}

function procStatus(): { vmHWMMiB: number; rssAnonMiB: number } {
  const s = Deno.readTextFileSync("/proc/self/status");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) / 1024;
  return { vmHWMMiB: Math.round(kb("VmHWM")), rssAnonMiB: Math.round(kb("RssAnon")) };
}

/** Child: export and train one method on the model in `dir`; prints a JSON row. */
async function child(dir: string, method: "did" | "lora", size: number): Promise<void> {
  const batch = Number(arg("batch", "8")), seq = Number(arg("seq", "32"));
  const steps = Number(arg("steps", "5"));
  const warmup = Math.min(Number(arg("warmup", "2")), steps - 1);
  const fastfood = arg("fastfood", "");
  const out = mkdtempSync(join(tmpdir(), `idim-bench-${method}-`));
  try {
    let t = performance.now();
    const meta = exportGraphs(dir, out, {
      method,
      size,
      ...(method === "lora" ? { loraAlpha: 8 } : {}),
      ...(fastfood ? { fastfoodBatched: fastfood === "batched" } : {}),
      batch,
      seq,
      numLabels: 2,
      seed: 0,
      optimizer: { type: "adamw", lr: method === "did" ? 1e-2 : 1e-4 },
      modelName: "roberta-large-shaped",
    });
    const exportSeconds = (performance.now() - t) / 1000;
    const trainNodes = countNodes(join(out, "train.onnx"));
    t = performance.now();
    const spec = JSON.parse(Deno.readTextFileSync(join(out, "train.onnx.json"))) as TrainSpec;
    const profile = Deno.args.includes("--profile") ? join(out, "profile") : undefined;
    const sess = await TrainSession.create(join(out, "train.onnx"), spec, readInitState(out), {
      disablePrepacking: true,
      memoryPattern: arg("memory-pattern", "on") === "on",
      profile,
    });
    const sessionSeconds = (performance.now() - t) / 1000;
    const ids = new BigInt64Array(batch * seq);
    for (let i = 0; i < ids.length; i++) ids[i] = BigInt(3 + ((i * 7919) % 50000));
    const mask = new BigInt64Array(batch * seq).fill(1n);
    const labels = BigInt64Array.from({ length: batch }, (_, i) => BigInt(i % 2));
    const stepSeconds: number[] = [];
    for (let s = 0; s < steps; s++) {
      t = performance.now();
      await sess.step({
        input_ids: { data: ids, dims: [batch, seq] },
        attention_mask: { data: mask, dims: [batch, seq] },
        labels: { data: labels, dims: [batch] },
      });
      stepSeconds.push((performance.now() - t) / 1000);
    }
    let summary: ProfileSummary | undefined;
    if (profile) {
      sess.endProfiling();
      const file = [...Deno.readDirSync(out)].find((e) => e.name.startsWith("profile"))!;
      summary = summarizeProfile(join(out, file.name), warmup);
    }
    const later = stepSeconds.slice(warmup).sort((a, b) => a - b);
    const row: Row = {
      method,
      size,
      batch,
      seq,
      trainable: meta.trainableCount,
      exportSeconds,
      trainNodes,
      sessionSeconds,
      stepSeconds,
      meanStepSeconds: stepSeconds.reduce((a, b) => a + b, 0) / stepSeconds.length,
      medianStepSeconds: later[Math.floor(later.length / 2)],
      profile: summary,
      ...procStatus(),
      estimatedMiB: Math.round(meta.memory.totalBytes / 2 ** 20),
    };
    console.log(`ROW ${JSON.stringify(row)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Runs the benchmark: generates the model, runs each method in a child, writes the results. */
export async function main(): Promise<void> {
  const methods = arg("methods", "did,lora").split(",");
  const dir = mkdtempSync(join(tmpdir(), "idim-bench-model-"));
  try {
    let t = performance.now();
    const config = { ...ROBERTA_LARGE_SHAPE };
    writeFileSync(join(dir, "config.json"), JSON.stringify(toHfConfig(config)));
    initWeights(config, 0, dir, { head: "none" });
    const initSeconds = (performance.now() - t) / 1000;
    const rows: Row[] = [];
    for (const m of methods) {
      const size = m === "did" ? 1000 : 8;
      t = performance.now();
      const cmd = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--v8-flags=--max-old-space-size=16384",
          import.meta.filename!,
          "--child",
          dir,
          m,
          String(size),
          ...Deno.args,
        ],
        env: { MALLOC_MMAP_THRESHOLD_: "33554432", MALLOC_TRIM_THRESHOLD_: "17179869184" },
        stdout: "piped",
        stderr: "inherit",
      });
      const res = await cmd.output();
      const text = new TextDecoder().decode(res.stdout);
      const line = text.split("\n").find((l) => l.startsWith("ROW "));
      if (!res.success || !line) {
        throw new Error(`bench child ${m} failed (exit ${res.code}): ${text.slice(-500)}`);
      }
      rows.push(JSON.parse(line.slice(4)));
    }
    console.log(`roberta-large-shaped random model: ${initSeconds.toFixed(1)} s to generate`);
    console.log(
      "| method | size | batch×seq | trainable | nodes | export s | session s | step s (median after warm-up; all) | VmHWM MiB | RssAnon MiB | estimate MiB |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) {
      console.log(
        `| ${r.method} | ${r.size} | ${r.batch}×${r.seq} | ${r.trainable} | ${r.trainNodes} | ${
          r.exportSeconds.toFixed(1)
        } | ` +
          `${r.sessionSeconds.toFixed(1)} | ${r.medianStepSeconds.toFixed(2)}; ${
            r.stepSeconds.map((x) => x.toFixed(1)).join(", ")
          } | ${r.vmHWMMiB} | ${r.rssAnonMiB} | ${r.estimatedMiB} |`,
      );
    }
    for (const r of rows) {
      if (r.profile) console.log(`profile ${r.method}: ${formatProfile(r.profile)}`);
    }
    if (rows.length === 2) {
      const [a, b] = rows;
      console.log(
        `${a.method}/${b.method} step ratio (medians after warm-up): ${
          (a.medianStepSeconds / b.medianStepSeconds).toFixed(2)
        }`,
      );
    }
    const result = {
      generatedAt: new Date().toISOString(),
      model: "roberta-large-shaped (random)",
      initSeconds,
      rows,
    };
    writeFileSync(
      new URL("./results/models.json", import.meta.url),
      JSON.stringify(result, null, 2) + "\n",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--child");
  if (i >= 0) {
    await child(Deno.args[i + 1], Deno.args[i + 2] as "did" | "lora", Number(Deno.args[i + 3]));
  } else await main();
}
