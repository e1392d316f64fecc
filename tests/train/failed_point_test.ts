/**
 * A study survives its failures: one grid point whose graphs fail to build (every lr run
 * skipped) and one lr run that fails still give a threshold, collected results and a report,
 * each listing what is missing with its reason and log; dropped grid points from the plan are
 * listed too.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { PlannedRef } from "../../lib/pipeline/planner.ts";
import type { Json } from "../../lib/pipeline/stage.ts";
import { UNRECORDED_PROVENANCE_PARAMS } from "../../lib/report/provenance_params.ts";
import type { ThresholdResult } from "../../lib/results/types.ts";
import { fakeSweep, fakeUpstream } from "./fixtures/fake_refs.ts";
import { fakeStages } from "./fixtures/fake_stages.ts";
import { runRefs } from "./harness.ts";

const LRS = [0.03, 0.3];
const hyper = { seed: 0, steps: 40, batchSize: 16, evalEvery: 20, warmupRatio: 0.1 };
const { trainParams, baseline } = fakeSweep(hyper, LRS);
const up = fakeUpstream;
/** r = 2: its graphs fail; r = 3: its lr 0.3 run fails. */
const point = (r: number) => ({
  kind: "lr-search",
  params: {
    train: {
      kind: "train-fake-lora",
      params: trainParams({
        graphs: up(r === 2 ? "broken-graphs" : "graphs", r),
        ...(r === 3 ? { failLr: 0.3 } : {}),
      }),
    },
    lrs: LRS,
  },
});
const GRID = [1, 2, 3, 4];
const threshold = {
  kind: "threshold",
  params: {
    model: "fake",
    task: "synthetic",
    method: "lora",
    baseline: { points: [baseline] },
    points: GRID.map((size) => ({ size, seed: 0, point: point(size) })),
  },
};
const collect = {
  kind: "collect-results",
  params: {
    thresholds: [threshold],
    points: [baseline, ...GRID.map(point)],
    provenance: {
      ...UNRECORDED_PROVENANCE_PARAMS,
      droppedPoints: [{
        model: "fake",
        method: "lora",
        size: 1000,
        reason: "r > 768, the smaller side of the targeted Linear layers",
      }],
    },
  } as unknown as Record<string, Json>,
};
const report: PlannedRef = {
  kind: "report",
  params: { results: collect, bootstrapResamples: 200 } as unknown as Record<string, Json>,
};

Deno.test("a failed point and a failed lr run: threshold, collect-results and report still run and list them", async () => {
  const root = Deno.makeTempDirSync();
  try {
    const r = await runRefs(root, [report], fakeStages);
    const failed = r.summary.failed.map((f) => f.inst.id).sort();
    assert.equal(failed.length, 3, r.lines.join("\n"));
    assert.ok(failed.some((id) => id.startsWith("fake-upstream{name=broken-graphs")));
    assert.ok(failed.some((id) => id.startsWith("lr-search{") && /lrs=2/.test(id)));
    assert.ok(failed.some((id) => id.startsWith("train-fake-lora{")));
    // Only the broken point's two lr runs are skipped; the report is not.
    assert.equal(r.summary.skipped.length, 2, r.summary.skipped.map((i) => i.id).join("\n"));
    assert.ok(r.summary.skipped.every((i) => i.kind === "train-fake-lora"));

    const t = JSON.parse(
      Deno.readTextFileSync(path.join(r.outputOf(threshold), "threshold.json")),
    ) as ThresholdResult & { missing: { kind: string; id: string; reason: string }[] };
    assert.deepEqual(t.points.map((p) => p.size), [1, 3, 4]);
    assert.equal(t.missing.length, 1);
    assert.match(t.missing[0].reason, /every lr run failed/);

    const results = JSON.parse(
      Deno.readTextFileSync(path.join(r.outputOf(collect), "results.json")),
    ) as { missing: { kind: string; reason: string; log: string }[]; points: unknown[] };
    assert.equal(results.points.length, 4, "baseline and the three grid points that exist");
    assert.deepEqual(results.missing.map((m) => m.kind).sort(), ["lr-run", "point"]);
    assert.ok(results.missing.every((m) => /logs\/[0-9a-f]{64}\.log$/.test(m.log)));

    const md = Deno.readTextFileSync(path.join(r.outputOf(report), "summary.md"));
    assert.match(md, /## Missing and dropped points/);
    assert.match(md, /- dropped: lora r=1000 for fake \(r > 768/);
    assert.match(
      md,
      /- missing point: lr-search\{.*\}(#\w+)?: every lr run failed: .*skipped: its input fake-upstream\{.*broken-graphs.* failed \(log .*\.log\)/,
    );
    assert.match(md, /- missing lr-run: train-fake-lora\{.*\}: synthetic failure at lr 0.3/);
    const html = Deno.readTextFileSync(path.join(r.outputOf(report), "index.html"));
    assert.match(html, /<section id="gaps">/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
