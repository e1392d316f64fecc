import assert from "node:assert/strict";
import * as path from "node:path";
import type { StageContext } from "../../lib/pipeline/stage.ts";
import type { PointResult, RunResult, ThresholdResult } from "../../lib/results/types.ts";
import { sweepParamsSchema } from "../../stages/threshold.ts";
import { lrSearchParams, lrSearchStage } from "../../stages/lr_search.ts";
import { thresholdStage } from "../../stages/threshold.ts";
import { adaptiveThreshold } from "../../lib/threshold/adaptive_search.ts";
import { collectResultsStage } from "../../stages/collect_results.ts";
import { contextDefaults } from "../data/stage_context.ts";

function run(
  method: RunResult["method"],
  size: number | null,
  seed: number,
  lr: number,
  v: number | null,
): RunResult {
  const best = v === null ? null : { step: 5, select: { accuracy: v }, report: { accuracy: v } };
  return {
    model: "tiny",
    task: "spam",
    method,
    size,
    lr,
    seed,
    trainableParams: size ?? 5000,
    modelParams: 5000,
    status: v === null ? "diverged" : "ok",
    ...(v === null ? { reason: "training loss is NaN at step 3" } : {}),
    metric: "accuracy",
    best,
    evals: best ? [best] : [],
    loss: [[5, 0.5]],
    steps: 5,
    wallSeconds: 1,
    samplesPerSecond: 10,
    provider: "cpu",
  };
}

function ctxFor<P>(params: P, inputs: Record<string, string>, outDir: string): StageContext<P> {
  return {
    ...contextDefaults(),
    params,
    inputs,
    outDir,
    scratchDir: outDir,
    device: "cpu",
    log: () => {},
    progress: () => {},
    signal: new AbortController().signal,
  };
}

function writePoint(dir: string, runs: RunResult[], lrs: number[]): Promise<string> {
  const out = path.join(dir, crypto.randomUUID());
  Deno.mkdirSync(out);
  const ins: Record<string, string> = {};
  runs.forEach((r, i) => {
    const d = path.join(dir, crypto.randomUUID());
    Deno.mkdirSync(d);
    Deno.writeTextFileSync(path.join(d, "result.json"), JSON.stringify(r));
    ins[`lr_${i}`] = d;
  });
  const params = lrSearchParams.parse({ train: { kind: "train-lora", params: { r: 1 } }, lrs });
  return lrSearchStage.run(ctxFor(params, ins, out)).then(() => out);
}

const grid = [1, 2, 4, 8, 16, 32];
const curve = (s: number) => 0.5 + 0.1 * Math.log2(s); // 0.5 … 1.0, monotone

Deno.test("lr-search stage: picks the best lr on select, keeps every run, rejects a preset lr", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const out = await writePoint(dir, [
      run("lora", 4, 0, 1e-3, 0.7),
      run("lora", 4, 0, 1e-2, 0.8),
      run("lora", 4, 0, 1e-1, null),
    ], [1e-3, 1e-2, 1e-1]);
    const p = JSON.parse(Deno.readTextFileSync(path.join(out, "point.json"))) as PointResult;
    assert.equal(p.bestLr, 1e-2);
    assert.equal(p.value, 0.8);
    assert.equal(p.runs.length, 3);
    assert.equal(p.runs[2].status, "diverged");
    const bad = lrSearchParams.safeParse({
      train: { kind: "train-lora", params: { lr: 1 } },
      lrs: [1],
    });
    assert.equal(bad.success, false);
    const inputs = lrSearchStage.inputs!(
      lrSearchParams.parse({ train: { kind: "train-lora", params: { r: 2 } }, lrs: [1e-3, 3e-3] }),
    );
    assert.deepEqual(inputs.lr_1, { kind: "train-lora", params: { r: 2, lr: 3e-3 } });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("threshold stage and adaptive search agree on a monotone sweep; search saves runs", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const lrs = [1e-3, 1e-2];
    const baseDir = await writePoint(dir, lrs.map((lr) => run("full", null, 0, lr, 0.9)), lrs);
    const ref = (size: number) => ({
      kind: "lr-search",
      params: { train: { kind: "train-lora", params: { r: size } }, lrs },
    });
    const pointDirs = new Map<number, string>();
    for (const s of grid) {
      pointDirs.set(
        s,
        await writePoint(dir, lrs.map((lr, j) => run("lora", s, 0, lr, curve(s) - 0.01 * j)), lrs),
      );
    }
    const params = sweepParamsSchema.parse({
      model: "tiny",
      task: "spam",
      method: "lora",
      baseline: { points: [{ kind: "lr-search", params: { full: true } }] },
      points: grid.map((size) => ({ size, seed: 0, point: ref(size) })),
    });
    const inputs: Record<string, string> = { baseline_0: baseDir };
    grid.forEach((s, i) => inputs[`point_${i}`] = pointDirs.get(s)!);
    const out = path.join(dir, "thr");
    Deno.mkdirSync(out);
    await thresholdStage.run(ctxFor(params, inputs, out));
    const full = JSON.parse(
      Deno.readTextFileSync(path.join(out, "threshold.json")),
    ) as ThresholdResult;
    // target 0.81: 0.5 + 0.1·log2(s) ≥ 0.81 ⇒ s ≥ 8.57 → 16
    assert.equal(full.value, 16);
    assert.equal(full.baselineSource, "measured");
    assert.equal(full.runsUsed, 12);
    assert.equal(full.modelParams, 5000);
    let obtained = 0;
    const adaptive = await adaptiveThreshold(params, { baseline_0: baseDir }, (r) => {
      obtained++;
      return Promise.resolve(
        pointDirs.get((r.params.train as { params: { r: number } }).params.r)!,
      );
    }, () => {});
    assert.equal(adaptive.value, full.value);
    assert.equal(adaptive.interpolated, full.interpolated);
    assert.equal(adaptive.search, "adaptive");
    assert.equal(obtained, 3);
    assert.equal(adaptive.runsSaved, (grid.length - 3) * lrs.length);
    assert.equal(adaptive.runsUsed, 3 * lrs.length);

    const col = path.join(dir, "col");
    Deno.mkdirSync(col);
    await collectResultsStage.run(ctxFor(
      {
        thresholds: [{ kind: "threshold", params: {} }],
        points: [{ kind: "lr-search", params: {} }],
      },
      { threshold_0: out, point_0: pointDirs.get(4)! },
      col,
    ));
    const runsCsv = Deno.readTextFileSync(path.join(col, "runs.csv")).trim().split("\n");
    assert.equal(runsCsv.length, 3);
    assert.match(
      Deno.readTextFileSync(path.join(col, "thresholds.csv")),
      /tiny,spam,lora,accuracy,0\.9,measured,0\.9,/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("threshold stage: a baseline whose every lr diverged fails with the runs' reasons", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const baseDir = await writePoint(dir, [run("full", null, 0, 1, null)], [1]);
    const p1 = await writePoint(dir, [run("lora", 1, 0, 1, 0.5)], [1]);
    const params = sweepParamsSchema.parse({
      model: "tiny",
      task: "spam",
      method: "lora",
      baseline: { points: [{ kind: "lr-search", params: {} }] },
      points: [{ size: 1, seed: 0, point: { kind: "lr-search", params: {} } }],
    });
    await assert.rejects(
      async () =>
        await thresholdStage.run(ctxFor(params, { baseline_0: baseDir, point_0: p1 }, dir)),
      /every lr diverged or failed \(lr 1: diverged \(training loss is NaN at step 3\)\)/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sweep params: duplicate grid points are rejected naming the point", () => {
  const r = sweepParamsSchema.safeParse({
    model: "m",
    task: "t",
    method: "did",
    baseline: { reference: 0.9 },
    points: [
      { size: 10, seed: 0, point: { kind: "lr-search", params: {} } },
      { size: 10, seed: 0, point: { kind: "lr-search", params: {} } },
    ],
  });
  assert.equal(r.success, false);
  assert.match(JSON.stringify(r.error!.issues), /size=10 seed=0 appears twice/);
});
