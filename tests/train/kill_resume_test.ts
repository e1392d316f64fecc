/**
 * A training process killed with SIGKILL mid-run resumes from its last checkpoint (trainable
 * state, optimizer state, data order) and ends with the same numbers as an uninterrupted run.
 * Fake (pure-JS) model; the ONNX version is in tiny_e2e_test.ts.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { RunResult } from "../../lib/results/types.ts";
import { fakeStages } from "./fixtures/fake_stages.ts";
import { killAndResume, runRefs } from "./harness.ts";

const ref = {
  kind: "train-fake-lora",
  params: {
    model: "fake",
    task: "synthetic",
    graphs: { kind: "fake-upstream", params: { name: "graphs", size: 6 } },
    data: { kind: "fake-upstream", params: { name: "data" } },
    lr: 0.05,
    seed: 3,
    steps: 120,
    batchSize: 16,
    evalEvery: 10,
    checkpointEvery: 10,
    stepDelayMs: 15,
  },
};

Deno.test("kill -9 mid-run: resumes at the checkpoint step, same final metrics as an uninterrupted run", async () => {
  const a = Deno.makeTempDirSync();
  const b = Deno.makeTempDirSync();
  try {
    const k = await killAndResume(a, ref, fakeStages, 30);
    assert.equal(k.killed.signal, "SIGKILL");
    assert.ok(k.checkpointStep >= 30 && k.checkpointStep < 120, `step ${k.checkpointStep}`);
    const resumed = JSON.parse(
      Deno.readTextFileSync(path.join(k.outDir, "result.json")),
    ) as RunResult;
    assert.deepEqual(resumed.resumedFrom, [k.checkpointStep]);

    const plain = await runRefs(b, [ref], fakeStages);
    assert.deepEqual(plain.summary.failed, []);
    const whole = JSON.parse(
      Deno.readTextFileSync(path.join(plain.outputOf(ref), "result.json")),
    ) as RunResult;
    assert.deepEqual(whole.resumedFrom, []);
    assert.equal(resumed.status, "ok");
    assert.equal(resumed.steps, 120);
    assert.deepEqual(resumed.evals, whole.evals);
    assert.deepEqual(resumed.loss, whole.loss);
    assert.deepEqual(resumed.best, whole.best);
  } finally {
    Deno.removeSync(a, { recursive: true });
    Deno.removeSync(b, { recursive: true });
  }
});
