import assert from "node:assert/strict";
import type { RunResult } from "../../lib/results/types.ts";
import { bestEval, bestRun, pointFromRuns } from "../../lib/train/select.ts";

const ev = (step: number, sel: number, rep: number) => ({
  step,
  select: { accuracy: sel },
  report: { accuracy: rep },
});

function run(lr: number, sel: number, rep: number, status: RunResult["status"] = "ok"): RunResult {
  const best = ev(10, sel, rep);
  return {
    model: "m",
    task: "t",
    method: "lora",
    size: 4,
    lr,
    seed: 0,
    trainableParams: 10,
    status,
    metric: "accuracy",
    best,
    evals: [best],
    loss: [],
    steps: 10,
    wallSeconds: 1,
    samplesPerSecond: 1,
    provider: "cpu",
  };
}

Deno.test("select: best step by the select split, earliest on ties; report value never used", () => {
  const b = bestEval([ev(10, 0.7, 0.99), ev(20, 0.8, 0.5), ev(30, 0.8, 0.9)], "accuracy");
  assert.equal(b!.step, 20);
  assert.equal(bestEval([], "accuracy"), null);
});

Deno.test("select: best lr by select metric; ties → smaller lr; diverged runs never chosen", () => {
  const runs = [run(1e-2, 0.8, 0.7), run(1e-3, 0.8, 0.75), run(1e-1, 0.95, 0.9, "diverged")];
  assert.equal(bestRun(runs)!.lr, 1e-3);
  const p = pointFromRuns(runs);
  assert.equal(p.bestLr, 1e-3);
  assert.equal(p.value, 0.75);
  assert.deepEqual(p.runs.map((r) => r.lr), [1e-3, 1e-2, 1e-1]);
});

Deno.test("select: a point whose runs all diverged has a null value, runs kept", () => {
  const p = pointFromRuns([run(1, 0.9, 0.9, "diverged")]);
  assert.equal(p.value, null);
  assert.equal(p.bestLr, null);
  assert.equal(p.runs.length, 1);
});

Deno.test("select: runs of different points are refused", () => {
  assert.throws(() => pointFromRuns([run(1, 0.5, 0.5), { ...run(2, 0.5, 0.5), size: 8 }]), /size/);
});
