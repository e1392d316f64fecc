import assert from "node:assert/strict";
import type { RunResult } from "../../lib/results/types.ts";
import { bestEval, bestRun, pointFromRuns } from "../../lib/train/select.ts";
import { extendLrSearch } from "../../lib/train/lr_extension.ts";

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

Deno.test("lr extension: a tie at the edge is a plateau; every lr tied (nothing learned) tries both ends", async () => {
  let obtained = 0;
  const plateau = [run(1e-2, 0.8, 0.8), run(1e-1, 0.8, 0.8), run(1, 0.6, 0.6)];
  const p = await extendLrSearch(plateau, { low: [1e-3], high: [10] }, () => {
    obtained++;
    return Promise.resolve(run(1e-3, 0.7, 0.7));
  });
  assert.equal(obtained, 0, "a tie with an inner lr does not chase the edge");
  assert.equal(p.bestLr, 1e-2, "ties still go to the smaller lr");
  assert.equal(p.lrEdge, null);
  // Every lr tied: one lr below, then one above; the side that learns is followed.
  const collapsed = [run(1e-2, 0.69, 0.69), run(1e-1, 0.69, 0.69)];
  const tried: string[] = [];
  const c = await extendLrSearch(collapsed, { low: [1e-3, 1e-4], high: [1, 10] }, (side, i) => {
    obtained++;
    tried.push(`${side}${i}`);
    if (side === "low") return Promise.resolve(run(i === 0 ? 1e-3 : 1e-4, 0.69, 0.69));
    return Promise.resolve(i === 0 ? run(1, 0.75, 0.75) : run(10, 0.6, 0.6));
  });
  assert.deepEqual(tried, ["low0", "high0", "high1"], "both ends, then the side that learned");
  assert.equal(obtained, 3);
  assert.equal(c.bestLr, 1);
  assert.equal(c.lrEdge, null);
  const down = await extendLrSearch(collapsed, { low: [1e-3, 1e-4], high: [] }, (_side, i) => {
    obtained++;
    return Promise.resolve(i === 0 ? run(1e-3, 0.69, 0.69) : run(1e-4, 0.75, 0.75));
  });
  assert.equal(obtained, 5, "no lr above: the search goes down until one learns");
  assert.equal(down.bestLr, 1e-4);
  assert.equal(down.lrEdge, "low", "the bound was hit with the best at the lowest lr");
  const strict = [run(1e-2, 0.8, 0.8), run(1e-1, 0.7, 0.7), run(1, 0.7, 0.7)];
  const q = await extendLrSearch(strict, { low: [1e-3], high: [] }, () => {
    obtained++;
    return Promise.resolve(run(1e-3, 0.75, 0.75));
  });
  assert.equal(obtained, 6, "a strict best at the lowest lr is extended");
  assert.equal(q.bestLr, 1e-2);
  assert.equal(q.lrEdge, null, "after the extension the best is inside");
});
