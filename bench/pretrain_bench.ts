/**
 * Benchmark of the embedded default's pretraining stage: the default architecture on the real
 * corpus, with the restricted tokenizer the default pipeline uses.
 *
 * 1. Step time and tokens/s for 1 and 2 ORT threads (a short run each, after the corpus is
 *    tokenized; tokenization and graph building are reported separately).
 * 2. The default chain `0 → steps/5 → steps` (schedule over `steps`), as the pipeline runs it:
 *    held-out masked-token accuracy, MLM loss and the unigram baseline at each checkpoint, and
 *    the wall time of each instance.
 *
 * Prints a table and writes `bench/results/pretrain.json`. Start it with the glibc settings of
 * lib/onnx/README.md, "Process settings" (`MALLOC_MMAP_THRESHOLD_=33554432
 * MALLOC_TRIM_THRESHOLD_=17179869184`); timings on
 * a loaded machine are upper bounds.
 *
 *   deno run -A bench/pretrain_bench.ts [--steps 1500] [--vocab 4096] [--threads 1] [--time-steps 60]
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNlpCorpus } from "../lib/data/mod.ts";
import {
  type PretrainManifest,
  type PretrainParams,
  pretrainParamsSchema,
  runPretrain,
} from "../lib/pretrain/mod.ts";
import { embeddedBertTokenizerJson, restrictVocabulary } from "../lib/text/mod.ts";

function arg(name: string, dflt: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : dflt;
}

interface Checkpoint {
  steps: number;
  ranSteps: number;
  wallSeconds: number;
  msPerStep: number | null;
  tokensPerSecond: number | null;
  heldOutAccuracy: number;
  heldOutLoss: number;
  unigramAccuracy: number;
  finalTrainLoss: number | null;
}

async function run(
  p: PretrainParams,
  root: string,
  tag: string,
  tokenizer: string,
  from?: string,
): Promise<{ dir: string; m: PretrainManifest }> {
  const dir = join(root, tag);
  mkdirSync(dir, { recursive: true });
  const m = await runPretrain(p, { tokenizer, from, outDir: dir, scratchDir: `${dir}-scratch` }, {
    log: (s) => console.error(`  [${tag}] ${s}`),
    progress: () => {},
    signal: new AbortController().signal,
  });
  return { dir, m };
}

/** Runs the benchmark (see the module comment). */
export async function main(): Promise<void> {
  const steps = Number(arg("steps", "1500"));
  const vocab = Number(arg("vocab", "4096"));
  const threads = Number(arg("threads", "1"));
  const timeSteps = Number(arg("time-steps", "60"));
  const root = mkdtempSync(join(tmpdir(), "idim-pretrain-bench-"));
  try {
    let t = performance.now();
    const corpus = (await loadNlpCorpus()).map((s) => s.text);
    const restricted = restrictVocabulary(await embeddedBertTokenizerJson(), corpus, vocab);
    const tokenizerSeconds = (performance.now() - t) / 1000;
    const tokDir = join(root, "tokenizer");
    mkdirSync(tokDir);
    writeFileSync(join(tokDir, "tokenizer.json"), JSON.stringify(restricted.json));
    const base = { name: "bench", tokenizer: { params: { vocab_size: vocab } } };

    // 1. Step time per thread count.
    const timing: Record<string, unknown>[] = [];
    for (const th of [1, 2]) {
      const p = pretrainParamsSchema.parse({ ...base, steps: timeSteps, threads: th });
      t = performance.now();
      const { m } = await run(p, root, `time-t${th}`, tokDir);
      timing.push({
        threads: th,
        steps: timeSteps,
        msPerStep: 1000 * m.secondsPerStep!,
        tokensPerSecond: m.tokensPerSecond,
        setupSeconds: (performance.now() - t) / 1000 - timeSteps * m.secondsPerStep!,
      });
    }

    // 2. The default chain.
    const chainSteps = [0, Math.round(steps / 5), steps];
    const checkpoints: Checkpoint[] = [];
    let prev: { raw: Record<string, unknown>; dir: string } | undefined;
    let params: PretrainParams | undefined;
    for (const s of chainSteps) {
      const raw: Record<string, unknown> = {
        ...base,
        steps: s,
        schedule_steps: steps,
        threads,
        ...(prev ? { from: { kind: "pretrain", params: prev.raw } } : {}),
      };
      params = pretrainParamsSchema.parse(raw);
      const { dir, m } = await run(params, root, `chain-${s}`, tokDir, prev?.dir);
      checkpoints.push({
        steps: s,
        ranSteps: m.ranSteps,
        wallSeconds: m.wallSeconds,
        msPerStep: m.secondsPerStep === null ? null : 1000 * m.secondsPerStep,
        tokensPerSecond: m.tokensPerSecond,
        heldOutAccuracy: m.heldOut.accuracy,
        heldOutLoss: m.heldOut.loss,
        unigramAccuracy: m.heldOut.unigramAccuracy,
        finalTrainLoss: m.finalTrainLoss,
      });
      prev = { raw, dir };
    }

    console.log(
      `\npretrain bench: hidden ${params!.hidden}, layers ${params!.layers}, heads ` +
        `${params!.heads}, intermediate ${params!.intermediate}, vocab ${vocab}, batch ` +
        `${params!.batch} × seq ${params!.seq}, lr ${params!.lr}; ${cpus().length} CPUs`,
    );
    console.log(
      `tokenizer restriction (embedded-tokenizer stage work): ${tokenizerSeconds.toFixed(1)} s`,
    );
    console.log("\nthreads | ms/step | tokens/s | setup s");
    for (const r of timing) {
      console.log(
        `${String(r.threads).padStart(7)} | ${(r.msPerStep as number).toFixed(1).padStart(7)} | ` +
          `${Math.round(r.tokensPerSecond as number).toString().padStart(8)} | ` +
          `${(r.setupSeconds as number).toFixed(1).padStart(7)}`,
      );
    }
    console.log("\n steps | ran | wall s | ms/step | held-out acc | loss  | unigram acc");
    for (const c of checkpoints) {
      console.log(
        `${String(c.steps).padStart(6)} | ${String(c.ranSteps).padStart(4)} | ` +
          `${c.wallSeconds.toFixed(1).padStart(6)} | ` +
          `${(c.msPerStep === null ? "-" : c.msPerStep.toFixed(1)).padStart(7)} | ` +
          `${(100 * c.heldOutAccuracy).toFixed(2).padStart(11)}% | ${c.heldOutLoss.toFixed(3)} | ` +
          `${(100 * c.unigramAccuracy).toFixed(2)}%`,
      );
    }
    const result = {
      bench: "pretrain",
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAverage: Deno.loadavg(),
      params: params,
      vocab,
      tokenizerSeconds,
      timing,
      chain: checkpoints,
      chainWallSeconds: checkpoints.reduce((s, c) => s + c.wallSeconds, 0),
    };
    const out = fileURLToPath(new URL("./results/pretrain.json", import.meta.url));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
    console.log(`\nwrote ${out}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
