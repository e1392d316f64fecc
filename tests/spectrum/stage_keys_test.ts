/**
 * The `delta-spectrum` instance key follows the runs it reads: a change to the full fine-tuning
 * run or to the LoRA run changes it; the weight-keeping twins are on-demand instances that differ
 * from the sweep's runs only by `keepWeights`.
 */
import assert from "node:assert/strict";
import { buildDag } from "../../lib/pipeline/dag.ts";
import type { InstanceRef, Json } from "../../lib/pipeline/stage.ts";
import { stages } from "../../stages/mod.ts";
import { pointRef, sweepRef } from "../train/tiny_config.ts";

function spectrumRef(full: InstanceRef, loraExtra: Record<string, Json> = {}): InstanceRef {
  const lora = sweepRef("threshold", "lora", [1, 2], [1e-3], [1e-3]);
  const points = [1, 2].map((size) => ({
    size,
    point: pointRef("lora", size, [1e-3], 0, loraExtra),
  }));
  return {
    kind: "delta-spectrum",
    params: {
      model: "hf-tiny-bert",
      task: "spam",
      seed: 0,
      baseline: full as unknown as Json,
      lora: { threshold: lora, points } as unknown as Json,
    },
  };
}

function keyOf(ref: InstanceRef): { key: string; onDemand: string[] } {
  const dag = buildDag([ref], stages);
  const root = dag.roots[0];
  return { key: root.key, onDemand: Object.keys(root.onDemand).sort() };
}

Deno.test("delta-spectrum: its key changes with the full run and with the LoRA run", () => {
  const base = keyOf(spectrumRef(pointRef("full", null, [1e-3, 3e-4])));
  const same = keyOf(spectrumRef(pointRef("full", null, [1e-3, 3e-4])));
  assert.equal(same.key, base.key);
  const fullSteps = keyOf(spectrumRef(pointRef("full", null, [1e-3, 3e-4], 0, { steps: 80 })));
  assert.notEqual(fullSteps.key, base.key, "a different full fine-tuning run");
  const fullLrs = keyOf(spectrumRef(pointRef("full", null, [1e-3])));
  assert.notEqual(fullLrs.key, base.key, "a different lr grid of the baseline");
  const lora = keyOf(spectrumRef(pointRef("full", null, [1e-3, 3e-4]), { steps: 80 }));
  assert.notEqual(lora.key, base.key, "a different LoRA run");
  assert.deepEqual(base.onDemand, [
    "full_lr_0",
    "full_lr_1",
    "lora_point_0",
    "lora_point_0_lr_0",
    "lora_point_1",
    "lora_point_1_lr_0",
  ]);
});

Deno.test("delta-spectrum: the weight-keeping twin is the sweep's run plus keepWeights", () => {
  const full = pointRef("full", null, [1e-3]);
  const dag = buildDag([spectrumRef(full)], stages);
  const twin = dag.roots[0].onDemand["full_lr_0"];
  assert.equal(twin.params.keepWeights, true);
  assert.equal(twin.onDemandOnly, true);
  const { keepWeights: _k, ...rest } = twin.params;
  const sweepRun = dag.instances.find((i) =>
    i.kind === "train-full" && !i.onDemandOnly && i.params.lr === 1e-3
  )!;
  assert.deepEqual(rest, sweepRun.params);
  assert.notEqual(twin.key, sweepRun.key);
});
