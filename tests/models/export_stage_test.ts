import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import stage from "../../stages/export_graphs.ts";
import { readConfig } from "../../lib/models/config.ts";
import { convertSafetensors } from "../../lib/models/safetensors.ts";
import type { StageContext } from "../../lib/pipeline/stage.ts";
import { ORACLE } from "../oracle_path.ts";
import { contextDefaults } from "../data/stage_context.ts";

Deno.test("export-graphs stage: every declared output, weights.bin hard-linked, graph.json", async () => {
  const root = mkdtempSync(join(tmpdir(), "idim-exp-"));
  try {
    const model = join(root, "model"), outDir = join(root, "out");
    mkdirSync(model);
    mkdirSync(outDir);
    const src = `${ORACLE}/hf-generated/bert-seqcls`;
    Deno.copyFileSync(`${src}/config.json`, join(model, "config.json"));
    convertSafetensors(`${src}/model.safetensors`, model, readConfig(`${src}/config.json`));
    const params = stage.params.parse({
      model: { params: { name: "tiny-bert" } },
      method: "lora",
      size: 8,
      loraAlpha: 8,
      batch: 4,
      seq: 16,
      numLabels: 2,
    });
    assert.deepEqual(stage.inputs!(params), {
      model: { kind: "download-model", params: { name: "tiny-bert" } },
    });
    const ctx: StageContext<typeof params> = {
      ...contextDefaults(),
      params,
      inputs: { model },
      outDir,
      scratchDir: join(root, "scratch"),
      device: "cpu",
      log: () => {},
      progress: () => {},
      signal: new AbortController().signal,
    };
    await stage.run(ctx);
    for (const f of stage.outputs(params)) assert.ok(existsSync(join(outDir, f)), f);
    assert.equal(
      statSync(join(outDir, "weights.bin")).ino,
      statSync(join(model, "weights.bin")).ino,
    );
    const meta = JSON.parse(readFileSync(join(outDir, "graph.json"), "utf8"));
    // A fresh 2-label head (the checkpoint's has 3): 8·(32+32) per target, 6 targets, + 32·2+2.
    assert.equal(meta.trainableCount, 8 * 64 * 6 + 66);
    assert.deepEqual(meta.inputs.train, [
      "input_ids",
      "attention_mask",
      "token_type_ids",
      "labels",
    ]);
    assert.equal(meta.batch, 4);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
