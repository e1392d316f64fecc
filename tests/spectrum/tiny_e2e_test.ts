/**
 * `delta-spectrum` end to end on the tiny BERT: the baseline's best run and the LoRA run at r90
 * are trained once more keeping their weights, and every matrix's ΔW spectrum is written.
 */
import assert from "node:assert/strict";
import type { InstanceRef, Json, StageDefinition } from "../../lib/pipeline/stage.ts";
import { readDeltaSpectrum } from "../../lib/results/delta_spectrum.ts";
import { deltaSpectrumStage } from "../../stages/delta_spectrum.ts";
import { runRefs } from "../train/harness.ts";
import { pointRef, TINY_STAGES } from "../train/tiny_config.ts";

const SHORT = { steps: 40, evalEvery: 20 };

Deno.test("delta-spectrum on the tiny BERT: full and LoRA at r90", async () => {
  const root = Deno.makeTempDirSync();
  const full = pointRef("full", null, [1e-3], 0, SHORT);
  const lora = (size: number) => pointRef("lora", size, [3e-3], 0, SHORT);
  const threshold: InstanceRef = {
    kind: "threshold",
    params: {
      model: "hf-tiny-bert",
      task: "spam",
      method: "lora",
      fraction: 0.5,
      baseline: { points: [full] },
      points: [1, 2].map((size) => ({ size, seed: 0, point: lora(size) })),
    } as unknown as Record<string, Json>,
  };
  const ref = {
    kind: "delta-spectrum",
    params: {
      model: "hf-tiny-bert",
      task: "spam",
      seed: 0,
      baseline: full,
      lora: { threshold, points: [1, 2].map((size) => ({ size, point: lora(size) })) },
    } as unknown as Record<string, Json>,
  };
  const stages = [...TINY_STAGES, deltaSpectrumStage] as unknown as StageDefinition[];
  const t0 = performance.now();
  const run = await runRefs(root, [ref], stages);
  assert.equal(run.summary.failed.length, 0, run.lines.join("\n"));
  const doc = readDeltaSpectrum(run.outputOf(ref));
  console.log(`tiny delta-spectrum pipeline: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const [f, l] = doc.runs;
  assert.equal(f.status, "ok", f.reason);
  assert.equal(f.matrices.length, doc.layers * 6);
  for (const m of f.matrices) {
    assert.equal(m.singularValues.length, Math.min(...m.shape));
    assert.ok(m.frobenius > 0 && m.effectiveRank.e90 >= 1);
  }
  assert.equal(l.status, "ok", l.reason);
  assert.deepEqual(doc.loraTypes, ["query", "value"]);
  assert.equal(l.matrices.length, doc.layers * 2);
  for (const m of l.matrices) assert.ok(m.effectiveRank.e99 <= l.size!);
  Deno.removeSync(root, { recursive: true });
});
