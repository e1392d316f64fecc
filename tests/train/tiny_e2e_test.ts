/**
 * End to end on a tiny config with the real stages (download, tokenize, export, ONNX Runtime
 * training, lr search, thresholds): the full fine-tuning baseline, a DID sweep over d and a LoRA
 * sweep over r, d90 and r90 from the full grid and from the adaptive search (same answer, fewer
 * runs, shared cache), a NaN-loss run marked diverged, and a training process killed with
 * SIGKILL that resumes from its checkpoint with the same final numbers.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { Json } from "../../lib/pipeline/stage.ts";
import type { PointResult, RunResult, ThresholdResult } from "../../lib/results/types.ts";
import { killAndResume, runRefs } from "./harness.ts";
import { pointRef, sweepRef, TINY_STAGES, trainRef } from "./tiny_config.ts";

const FULL_LRS = [1e-3, 3e-3];
const LORA = { grid: [1, 2, 4, 8], lrs: [3e-3, 1e-2] };
const DID = { grid: [10, 100, 1000, 10000], lrs: [0.01, 0.03] };

function readJson<T>(dir: string, file: string): T {
  return JSON.parse(Deno.readTextFileSync(path.join(dir, file))) as T;
}

Deno.test({
  name: "tiny e2e: baseline, DID and LoRA sweeps; d90/r90 by grid and adaptive search agree",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = Deno.makeTempDirSync();
    try {
      const adaptiveRefs = [
        sweepRef("threshold-search", "lora", LORA.grid, LORA.lrs, FULL_LRS),
        sweepRef("threshold-search", "did", DID.grid, DID.lrs, FULL_LRS),
      ];
      const a = await runRefs(root, adaptiveRefs, TINY_STAGES, 2);
      assert.deepEqual(a.summary.failed.map((f) => f.error), [], a.lines.slice(-30).join("\n"));
      const adaptive = adaptiveRefs.map((r) =>
        readJson<ThresholdResult>(a.outputOf(r), "threshold.json")
      );

      const nanPoint = pointRef("lora", 2, [1e-2], 0, { injectNanAtStep: 10 });
      const gridRefs = [
        sweepRef("threshold", "lora", LORA.grid, LORA.lrs, FULL_LRS),
        sweepRef("threshold", "did", DID.grid, DID.lrs, FULL_LRS),
      ];
      const collect = {
        kind: "collect-results",
        params: {
          thresholds: [...gridRefs, ...adaptiveRefs],
          points: [nanPoint],
        } as unknown as Record<
          string,
          Json
        >,
      };
      const g = await runRefs(root, [collect], TINY_STAGES, 2);
      assert.deepEqual(g.summary.failed.map((f) => f.error), [], g.lines.slice(-30).join("\n"));
      const grid = gridRefs.map((r) => readJson<ThresholdResult>(g.outputOf(r), "threshold.json"));

      for (const [i, full] of grid.entries()) {
        const ad = adaptive[i];
        const curve = full.points.map((p) => `${p.size}:${p.value}`).join(" ");
        console.log(
          `${full.method}: baseline ${full.baseline} target ${
            full.target.toFixed(4)
          } curve ${curve} ` +
            `→ ${
              full.method === "lora" ? "r90" : "d90"
            } ${full.value} (interp ${full.interpolated}); ` +
            `adaptive ${ad.value} with ${ad.runsUsed} runs, saved ${ad.runsSaved}`,
        );
        assert.equal(full.baselineSource, "measured");
        assert.ok(full.baseline > 0.5, `baseline ${full.baseline}`);
        assert.equal(
          full.points.length,
          full.method === "lora" ? LORA.grid.length : DID.grid.length,
        );
        assert.equal(ad.value, full.value);
        assert.equal(ad.interpolated, full.interpolated);
        const gridRuns = full.points.length * 2;
        assert.equal(full.runsUsed, gridRuns);
        assert.ok(ad.runsUsed! < gridRuns, `adaptive used ${ad.runsUsed} of ${gridRuns}`);
        assert.equal(ad.runsUsed! + ad.runsSaved, gridRuns);
      }
      // The grid phase trained only what the adaptive phase had skipped (same keys, one cache),
      // plus the NaN point's single run.
      const saved = adaptive.reduce((s, t) => s + t.runsSaved, 0);
      assert.equal(countRan(g, "train-"), saved + 1);

      const nan = readJson<PointResult>(g.outputOf(nanPoint), "point.json");
      assert.equal(nan.runs[0].status, "diverged");
      assert.equal(nan.runs[0].reason, "training loss is NaN at step 10");
      assert.equal(nan.value, null);
      const csv = Deno.readTextFileSync(path.join(g.outputOf(collect), "thresholds.csv"));
      assert.equal(csv.trim().split("\n").length, 5);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});

/** Train instances the run executed (not cached). */
function countRan(r: Awaited<ReturnType<typeof runRefs>>, prefix: string): number {
  return r.dag.instances.filter((i) => i.kind.startsWith(prefix) && r.ranKeys.has(i.key)).length;
}

Deno.test({
  name:
    "tiny e2e: an ONNX training process killed with SIGKILL resumes at its checkpoint, same metrics",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const a = Deno.makeTempDirSync();
    const b = Deno.makeTempDirSync();
    try {
      const ref = trainRef("lora", 4, 0, {
        lr: 1e-2,
        steps: 240,
        evalEvery: 40,
        checkpointEvery: 10,
      });
      const k = await killAndResume(a, ref, TINY_STAGES, 20);
      assert.equal(k.killed.signal, "SIGKILL");
      const resumed = readJson<RunResult>(k.outDir, "result.json");
      console.log(
        `killed after the checkpoint at step ${k.checkpointStep}; resumed from ${resumed.resumedFrom}`,
      );
      assert.ok(k.checkpointStep >= 20 && k.checkpointStep < 240);
      assert.deepEqual(resumed.resumedFrom, [k.checkpointStep]);
      const plain = await runRefs(b, [ref], TINY_STAGES, 2);
      assert.deepEqual(plain.summary.failed.map((f) => f.error), []);
      const whole = readJson<RunResult>(plain.outputOf(ref), "result.json");
      assert.deepEqual(whole.resumedFrom, []);
      assert.equal(resumed.status, "ok");
      assert.deepEqual(resumed.evals, whole.evals);
      assert.deepEqual(resumed.loss, whole.loss);
      assert.deepEqual(resumed.best, whole.best);
    } finally {
      Deno.removeSync(a, { recursive: true });
      Deno.removeSync(b, { recursive: true });
    }
  },
});
