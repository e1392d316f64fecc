/**
 * The training stages inside the real pipeline core, on a pure-JS model (fixtures/fake_stages):
 * sweeps with lr search, divergence handling, full-grid vs adaptive thresholds sharing the
 * same cache, and collect-results.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { PlannedRef } from "../../lib/pipeline/planner.ts";
import type { PointResult, ThresholdResult } from "../../lib/results/types.ts";
import { fakeSweep, fakeUpstream } from "./fixtures/fake_refs.ts";
import { fakeStages } from "./fixtures/fake_stages.ts";
import { runRefs } from "./harness.ts";

const GRID = [1, 2, 3, 4, 5, 6, 7, 8];
const LRS = [0.03, 0.3, 1e30];
const hyper = { seed: 0, steps: 60, batchSize: 16, evalEvery: 20, warmupRatio: 0.1 };
const { trainParams, baseline } = fakeSweep(hyper, LRS);
const up = fakeUpstream;
const point = (r: number) => ({
  kind: "lr-search",
  params: {
    train: { kind: "train-fake-lora", params: trainParams({ graphs: up("graphs", r) }) },
    lrs: LRS,
  },
});
const sweep = (kind: string): PlannedRef => ({
  kind,
  params: {
    model: "fake",
    task: "synthetic",
    method: "lora",
    baseline: { points: [baseline] },
    points: GRID.map((size) => ({ size, seed: 0, point: point(size) })),
  },
});

function readJson<T>(dir: string, file: string): T {
  return JSON.parse(Deno.readTextFileSync(path.join(dir, file))) as T;
}

Deno.test("fake pipeline: adaptive search matches the full grid with fewer runs; both share the cache", async () => {
  const root = Deno.makeTempDirSync();
  try {
    // Adaptive first, on an empty store: it trains only the points it needs.
    const a = await runRefs(root, [sweep("threshold-search")], fakeStages);
    assert.deepEqual(a.summary.failed, [], a.lines.join("\n"));
    // Every grid point is planned and keyed with the DAG, but run only when the search obtains it.
    const search = a.dag.roots[0];
    const onDemand = Object.values(search.onDemand);
    assert.equal(onDemand.length, GRID.length);
    assert.ok(onDemand.every((i) => i.onDemandOnly && i.kind === "lr-search"));
    assert.ok(onDemand.every((i) => !a.ranKeys.has(i.key)), "the runner schedules no grid point");
    const obtained = onDemand.filter((i) => a.store.readManifest(i.key));
    assert.ok(obtained.length > 0 && obtained.length < GRID.length, `${obtained.length}`);
    const adaptive = readJson<ThresholdResult>(
      a.outputOf(sweep("threshold-search")),
      "threshold.json",
    );
    // Then the full grid in the same store: the points the search ran are cache hits.
    const g = await runRefs(root, [sweep("threshold")], fakeStages);
    assert.deepEqual(g.summary.failed, [], g.lines.join("\n"));
    const full = readJson<ThresholdResult>(g.outputOf(sweep("threshold")), "threshold.json");

    // The measured curve is monotone, so bisection must agree with the grid exactly.
    const values = full.points.map((p) => p.value!);
    assert.deepEqual(values, [...values].sort((x, y) => x - y), `curve ${values}`);
    assert.equal(full.monotone, true);
    assert.ok(full.value !== null && full.value > 1, `d90 ${full.value} should be interior`);
    assert.equal(adaptive.value, full.value);
    assert.equal(adaptive.interpolated, full.interpolated);
    assert.equal(adaptive.target, full.target);
    assert.equal(full.runsUsed, GRID.length * LRS.length);
    assert.equal(adaptive.runsUsed! + adaptive.runsSaved, GRID.length * LRS.length);
    assert.ok(adaptive.runsSaved >= 4 * LRS.length, `saved ${adaptive.runsSaved}`);
    // Keys agree: the grid ran only the points (and their trains) the search skipped.
    const skippedPoints = adaptive.runsSaved / LRS.length;
    const ranTrains = g.dag.instances.filter((i) => i.kind === "train-fake-lora").length -
      (GRID.length - skippedPoints) * LRS.length;
    assert.equal(ranTrains, skippedPoints * LRS.length);
    // threshold + skipped lr-search points + their train runs + their rank's graphs stand-in
    // (the LoRA rank is the graphs' size, as with export-graphs); everything else came cached
    assert.equal(g.summary.ran, 1 + skippedPoints + skippedPoints * LRS.length + skippedPoints);
    // lr 1e30 diverges in every point and is never chosen, the pipeline completes.
    const pt = readJson<PointResult>(g.outputOf(point(4)), "point.json");
    const bad = pt.runs.find((r) => r.lr === 1e30)!;
    assert.equal(bad.status, "diverged");
    assert.match(bad.reason!, /training loss is (NaN|Infinity) at step \d+/);
    assert.notEqual(pt.bestLr, 1e30);
    assert.equal(pt.value, pt.runs.find((r) => r.lr === pt.bestLr)!.best!.report.accuracy);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("fake pipeline: a run whose loss is made NaN is recorded as diverged; downstream completes", async () => {
  const root = Deno.makeTempDirSync();
  try {
    const nanPoint = {
      kind: "lr-search",
      params: {
        train: {
          kind: "train-fake-lora",
          params: trainParams({ graphs: up("graphs", 8), injectNanAtStep: 25 }),
        },
        lrs: [0.03, 0.3],
      },
    };
    const collect: PlannedRef = {
      kind: "collect-results",
      params: { points: [nanPoint, baseline] },
    };
    const r = await runRefs(root, [collect], fakeStages);
    assert.deepEqual(r.summary.failed, [], r.lines.join("\n"));
    const pt = readJson<PointResult>(r.outputOf(nanPoint), "point.json");
    for (const run of pt.runs) {
      assert.equal(run.status, "diverged");
      assert.equal(run.reason, "training loss is NaN at step 25");
      assert.equal(run.steps, 25);
      assert.deepEqual(run.evals.map((e) => e.step), [20]);
    }
    assert.equal(pt.value, null);
    const csv = Deno.readTextFileSync(path.join(r.outputOf(collect), "runs.csv"));
    assert.match(csv, /diverged,training loss is NaN at step 25/);
    const results = readJson<{ points: { key: string | null }[] }>(
      r.outputOf(collect),
      "results.json",
    );
    assert.ok(results.points.every((p) => /^[0-9a-f]{64}$/.test(p.key!)));
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
