/**
 * The benchmarks time the default's graphs as the pipeline plans them: read from pipeline.yaml,
 * not restated in the bench.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { defaultGraphs } from "../../bench/default_graphs.ts";

const REPO = new URL("../../", import.meta.url).pathname;

Deno.test("the bench's default graphs are pipeline.yaml's: shape, largest d and r, LoRA targets, schedule", () => {
  const exp = parse(Deno.readTextFileSync(join(REPO, "pipeline.yaml"))).experiment;
  const model = Object.values(exp.models)[0] as Record<string, number>;
  const task = Object.values(exp.tasks)[0] as Record<string, number>;
  const g = defaultGraphs();
  assert.deepEqual(g.shape, {
    vocab: model.vocab_size,
    hidden: model.hidden,
    heads: model.heads,
    intermediate: model.intermediate,
    layers: model.layers,
    maxPos: model.max_position,
    classes: 5, // spam-source: the corpus's five folders
    batch: exp.train.batch,
    seq: task.max_length,
  });
  assert.equal(g.did.size, Math.max(...exp.did.d));
  assert.equal(g.did.projection, exp.did.projection);
  assert.equal(g.did.totalSteps, exp.did.steps);
  assert.equal(g.lora.size, Math.max(...exp.lora.r));
  assert.deepEqual(g.lora.loraTargets, exp.lora.targets);
  assert.equal(g.lora.loraAlpha, exp.lora.alpha);
  assert.equal(g.full.totalSteps, exp.train.steps);
  assert.equal(g.full.warmupSteps, Math.round(exp.train.warmup_ratio * exp.train.steps));
  assert.equal(g.full.clipNorm, exp.train.clip_norm);
});

Deno.test("the bench follows a change to the default", () => {
  const dir = mkdtempSync(join(tmpdir(), "idim-dg-"));
  try {
    const text = Deno.readTextFileSync(join(REPO, "pipeline.yaml"))
      .replace("r: [1, 2, 4, 8]", "r: [1, 2, 4, 16]")
      .replace("max_length: 32", "max_length: 48");
    const file = join(dir, "pipeline.yaml");
    Deno.writeTextFileSync(file, text);
    const g = defaultGraphs(file);
    assert.equal(g.lora.size, 16);
    assert.equal(g.shape.seq, 48);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
