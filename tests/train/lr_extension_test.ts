/**
 * The lr search's edge extension in a real DAG (fake stages, in-process): the extension lrs are
 * on-demand inputs of `lr-search`, planned and keyed with the DAG, obtained only when the best lr
 * sits at the grid's edge.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { PlannedRef } from "../../lib/pipeline/planner.ts";
import type { Json } from "../../lib/pipeline/stage.ts";
import { extensionLrs, lrGridFor } from "../../lib/plan/lr_grid.ts";
import type { PointResult } from "../../lib/results/types.ts";
import { fakeStages } from "./fixtures/fake_stages.ts";
import { runRefs } from "./harness.ts";

const up = (name: string) => ({ kind: "fake-upstream", params: { name } as Record<string, Json> });
const search = (lrStar: number, lrs: number[], steps: number, seed = 0): PlannedRef => {
  const ext = extensionLrs(lrs, lrs, steps);
  return {
    kind: "lr-search",
    params: {
      train: {
        kind: "train-fake-peak",
        params: {
          model: "fake",
          task: "synthetic",
          graphs: up("graphs"),
          data: up("data"),
          seed,
          steps: 4,
          batchSize: 16,
          evalEvery: 2,
          warmupRatio: 0,
          lrStar,
        },
      },
      lrs,
      ...(steps > 0 ? { extend: ext as unknown as Json } : {}),
    },
  };
};

function point(dir: string): PointResult {
  return JSON.parse(Deno.readTextFileSync(path.join(dir, "point.json")));
}

Deno.test("lr extension: a best lr above the grid is found by obtaining the extension runs", async () => {
  const root = Deno.makeTempDirSync();
  try {
    // Grid 0.01, 0.03, 0.09 (factor 3); the objective peaks at 0.27: one step above the grid.
    const ref = search(0.27, [0.01, 0.03, 0.09], 2);
    const r = await runRefs(root, [ref], fakeStages);
    assert.deepEqual(r.summary.failed, [], r.lines.join("\n"));
    const onDemand = Object.values(r.dag.roots[0].onDemand);
    assert.equal(onDemand.length, 4, "two lrs per side are planned and keyed");
    assert.ok(onDemand.every((i) => i.onDemandOnly));
    const obtained = onDemand.filter((i) => r.store.readManifest(i.key));
    // 0.27 is obtained (best moves there), then 0.81 to check it is not better: two runs.
    assert.equal(obtained.length, 2);
    const p = point(r.outputOf(ref));
    assert.equal(p.bestLr, 0.27);
    assert.deepEqual(p.extended, [0.27, 0.81]);
    assert.deepEqual(p.lrs, [0.01, 0.03, 0.09, 0.27, 0.81]);
    assert.equal(p.lrEdge, null);
    assert.equal(p.runs.length, 5);
    // A second run is a cache hit for everything, extension runs included.
    const again = await runRefs(root, [ref], fakeStages);
    assert.equal(again.ranKeys.size, 0);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("lr extension: the bound is hit → lrEdge 'high'; best inside the grid → nothing obtained", async () => {
  const root = Deno.makeTempDirSync();
  try {
    const far = search(100, [0.01, 0.03, 0.09], 2);
    const inside = search(0.03, [0.01, 0.03, 0.09], 2);
    const low = search(0.0003, [0.01, 0.03, 0.09], 1);
    const none = search(100, [0.01, 0.03, 0.09], 0);
    const r = await runRefs(root, [far, inside, low, none], fakeStages);
    assert.deepEqual(r.summary.failed, [], r.lines.join("\n"));
    const pf = point(r.outputOf(far));
    assert.deepEqual(pf.extended, [0.27, 0.81]);
    assert.equal(pf.bestLr, 0.81);
    assert.equal(pf.lrEdge, "high");
    const pi = point(r.outputOf(inside));
    assert.deepEqual(pi.extended, []);
    assert.equal(pi.lrEdge, null);
    const insideInst = r.dag.roots.find((i) => JSON.stringify(i.params).includes('"lrStar":0.03'))!;
    const insideRuns = Object.values(insideInst.onDemand);
    assert.equal(insideRuns.length, 4);
    assert.ok(insideRuns.every((i) => !r.store.readManifest(i.key)), "no extension run obtained");
    const pl = point(r.outputOf(low));
    assert.deepEqual(pl.extended, [0.00333]);
    assert.equal(pl.lrEdge, "low");
    const pn = point(r.outputOf(none));
    assert.deepEqual(pn.extended, []);
    assert.equal(pn.lrEdge, "high", "lr_extend 0: no extension, the edge is flagged");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("lr_select first-seed: a later seed trains only at the lr the first seed chose", async () => {
  const root = Deno.makeTempDirSync();
  try {
    // The first seed's search finds 0.27 through the extension; seed 1 follows it.
    const first = search(0.27, [0.01, 0.03, 0.09], 2, 0);
    const later = search(0.27, [0.01, 0.03, 0.09], 2, 1);
    later.params.follow = first as unknown as Json;
    const r = await runRefs(root, [later], fakeStages);
    assert.deepEqual(r.summary.failed, [], r.lines.join("\n"));
    const inst = r.dag.roots[0];
    assert.deepEqual(Object.keys(inst.inputs), ["follow"], "the first seed's point is its input");
    const candidates = Object.values(inst.onDemand);
    assert.equal(candidates.length, 7, "every grid and extension lr is a candidate");
    const trained = candidates.filter((i) => r.store.readManifest(i.key));
    assert.equal(trained.length, 1, "only the chosen lr is trained");
    assert.equal(trained[0].params.lr, 0.27);
    assert.equal(trained[0].params.seed, 1);
    const p = point(r.outputOf(later));
    assert.equal(p.seed, 1);
    assert.equal(p.bestLr, 0.27);
    assert.equal(p.lrFrom, 0);
    assert.deepEqual(p.lrs, [0.27]);
    assert.equal(p.lrEdge, undefined, "the edge is the searching seed's to report");
    assert.equal(point(r.outputOf(first)).bestLr, 0.27);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("lr rule: the grid's centre moves with the size; lrs rounded to 3 digits", () => {
  const rule = { center: 0.1, at: 256, slope: -0.5, factor: 3, count: 3 };
  assert.deepEqual(lrGridFor(rule, 256), [0.0333, 0.1, 0.3]);
  assert.deepEqual(lrGridFor(rule, 1024), [0.0167, 0.05, 0.15]);
  assert.deepEqual(lrGridFor(rule, undefined), [0.0333, 0.1, 0.3]);
  assert.deepEqual(lrGridFor([1e-3, 1e-2], 64), [1e-3, 1e-2]);
  assert.deepEqual(extensionLrs(rule, lrGridFor(rule, 256), 2), {
    low: [0.0111, 0.0037],
    high: [0.9, 2.7],
  });
  assert.deepEqual(extensionLrs([1e-3], [1e-3], 2), { low: [], high: [] });
});
