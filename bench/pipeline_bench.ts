/**
 * Benchmark: planning plus a fully cached no-op run of a synthetic DAG of 5,000 instances
 * (10 data instances → 4,980 train instances → 10 summaries). Target: under 1 s wall.
 *
 * Prints a table and writes `bench/results/pipeline.json`.
 *
 *   deno run -A bench/pipeline_bench.ts
 *
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  main as pipelineMain,
  type Output,
  type PlannedRef,
  type Planner,
} from "../lib/pipeline/mod.ts";
import { defineStage } from "../lib/pipeline/stage.ts";

const DATASETS = 10;
const LRS = 83;
const SEEDS = 6;

export const data = defineStage({
  kind: "data",
  description: "synthetic data",
  module: import.meta.url,
  params: z.strictObject({ name: z.string() }),
  outputs: () => ["data.txt"],
  async run(ctx) {
    await Deno.writeTextFile(`${ctx.outDir}/data.txt`, `data ${ctx.params.name}\n`);
  },
});

export const train = defineStage({
  kind: "train",
  description: "synthetic run",
  module: import.meta.url,
  params: z.strictObject({ data: z.string(), lr: z.number(), seed: z.number().int() }),
  inputs: (p) => ({ data: { kind: "data", params: { name: p.data } } }),
  outputs: () => ["result.json"],
  async run(ctx) {
    const { lr, seed } = ctx.params;
    await Deno.writeTextFile(
      `${ctx.outDir}/result.json`,
      JSON.stringify({ lr, seed, acc: lr * seed }),
    );
  },
});

export const summary = defineStage({
  kind: "summary",
  description: "synthetic summary",
  module: import.meta.url,
  params: z.strictObject({
    data: z.string(),
    lrs: z.array(z.number()),
    seeds: z.array(z.number()),
  }),
  label: (p) => `data=${p.data}`,
  inputs: (p) => {
    const out: Record<string, { kind: string; params: Record<string, string | number> }> = {};
    for (const lr of p.lrs) {
      for (const seed of p.seeds) {
        out[`${lr}_${seed}`] = { kind: "train", params: { data: p.data, lr, seed } };
      }
    }
    return out;
  },
  outputs: () => ["summary.txt"],
  async run(ctx) {
    await Deno.writeTextFile(`${ctx.outDir}/summary.txt`, `${Object.keys(ctx.inputs).length}\n`);
  },
});

const schema = z.strictObject({
  datasets: z.number().int().positive(),
  lrs: z.number().int().positive(),
  seeds: z.number().int().positive(),
});

const planner: Planner<z.infer<typeof schema>> = {
  schema,
  plan(e) {
    const lrs = Array.from({ length: e.lrs }, (_, i) => Math.round((i + 1) * 1e-5 * 1e8) / 1e8);
    const seeds = Array.from({ length: e.seeds }, (_, i) => i);
    const refs: PlannedRef[] = [];
    for (let d = 0; d < e.datasets; d++) {
      refs.push({ kind: "summary", params: { data: `d${d}`, lrs, seeds } });
    }
    return refs;
  },
};

const stages = [data, train, summary];

const nullOut: Output = {
  write: (t) => {
    if (Deno.env.get("BENCH_VERBOSE")) console.log(t);
  },
  isTerminal: false,
};

async function cli(args: string[]): Promise<number> {
  return await pipelineMain(args, {
    planner,
    stages,
    defaultConfig: "pipeline.yaml",
    stdout: nullOut,
    stderr: (t) => console.error(t),
  });
}

/** Result of the benchmark. */
export interface PipelineBenchResult {
  instances: number;
  coldRunSeconds: number;
  noopInProcessSeconds: { min: number; median: number; runs: number };
  noopProcessSeconds: { min: number; median: number; runs: number };
  targetSeconds: number;
  pass: boolean;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { min: round(s[0]), median: round(s[Math.floor(s.length / 2)]), runs: s.length };
}
const round = (x: number) => Math.round(x * 1000) / 1000;

/** Runs the benchmark, prints a table, writes bench/results/pipeline.json. */
export async function main(): Promise<PipelineBenchResult> {
  const dir = await Deno.makeTempDir({ prefix: "idim-pipeline-bench-" });
  const config = path.join(dir, "pipeline.yaml");
  await Deno.writeTextFile(
    config,
    `run:\n  jobs: 2\n  executor: inprocess\nexperiment:\n  datasets: ${DATASETS}\n  lrs: ${LRS}\n  seeds: ${SEEDS}\n`,
  );
  const instances = DATASETS * (1 + LRS * SEEDS + 1);
  try {
    let t = performance.now();
    const code = await cli(["run", "--config", config]);
    if (code !== 0) throw new Error(`cold run failed with exit code ${code}`);
    const coldRunSeconds = round((performance.now() - t) / 1000);

    const inproc: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      const c = await cli(["run", "--config", config]);
      inproc.push((performance.now() - t) / 1000);
      if (c !== 0) throw new Error(`no-op run failed with exit code ${c}`);
    }
    const proc: number[] = [];
    const self = fileURLToPath(import.meta.url);
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "-q", self, "--cli", "run", "--config", config],
        stdout: "piped",
        stderr: "piped",
      }).output();
      proc.push((performance.now() - t) / 1000);
      const out = new TextDecoder().decode(r.stdout);
      if (r.code !== 0 || !out.includes(`all ${instances} instances up to date`)) {
        throw new Error(`no-op subprocess run failed: ${out}${new TextDecoder().decode(r.stderr)}`);
      }
    }
    const result: PipelineBenchResult = {
      instances,
      coldRunSeconds,
      noopInProcessSeconds: stats(inproc),
      noopProcessSeconds: stats(proc),
      targetSeconds: 1,
      pass: stats(proc).median < 1,
    };
    console.log(`pipeline benchmark: planning + fully cached no-op run, ${instances} instances`);
    console.log("| measurement | min (s) | median (s) |");
    console.log("|---|---|---|");
    console.log(
      `| no-op run, in process (plan + verify + lock file) | ${result.noopInProcessSeconds.min} | ${result.noopInProcessSeconds.median} |`,
    );
    console.log(
      `| no-op run, whole \`deno run\` process | ${result.noopProcessSeconds.min} | ${result.noopProcessSeconds.median} |`,
    );
    console.log(`| cold run (in-process executor, ${instances} commits) | ${coldRunSeconds} | |`);
    console.log(`target < 1 s (whole process, median): ${result.pass ? "PASS" : "FAIL"}`);
    const out = fileURLToPath(new URL("./results/pipeline.json", import.meta.url));
    await Deno.mkdir(path.dirname(out), { recursive: true });
    await Deno.writeTextFile(
      out,
      JSON.stringify(
        { benchmark: "pipeline-noop-5000", date: new Date().toISOString(), ...result },
        null,
        2,
      ) +
        "\n",
    );
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--cli");
  if (i >= 0) {
    Deno.exit(
      await pipelineMain(Deno.args.slice(i + 1), {
        planner,
        stages,
        defaultConfig: "pipeline.yaml",
      }),
    );
  }
  await main();
}
