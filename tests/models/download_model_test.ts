import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import stage from "../../stages/download_model.ts";
import { readWeightsIndex, readWeightsTensor } from "../../lib/models/weights_file.ts";
import { startHubFixtureServer } from "../hub/hub_fixture_server.ts";
import type { StageContext } from "../../lib/pipeline/stage.ts";
import { ORACLE } from "../oracle_path.ts";
import { contextDefaults } from "../data/stage_context.ts";

const SRC = `${ORACLE}/caikit-tiny-BertForSequenceClassification`;
const FILES = ["config.json", "tokenizer.json", "vocab.txt", "model.safetensors"];

function context(params: Record<string, unknown>): StageContext<never> & { root: string } {
  const root = mkdtempSync(join(tmpdir(), "idim-dlm-"));
  const outDir = join(root, "out"), scratchDir = join(root, "scratch");
  mkdirSync(outDir);
  mkdirSync(scratchDir);
  return {
    root,
    ...contextDefaults(),
    params: stage.params.parse(params) as never,
    inputs: {},
    outDir,
    scratchDir,
    device: "cpu",
    log: () => {},
    progress: () => {},
    signal: new AbortController().signal,
  };
}

Deno.test("download-model from a Hub-layout server: files, converted weights, provenance", async () => {
  const files: Record<string, Uint8Array> = {};
  for (const f of FILES) files[f] = new Uint8Array(readFileSync(join(SRC, f)));
  const server = await startHubFixtureServer({
    repos: [{ type: "model", name: "caikit/tiny-bert", files }],
  });
  const old = Deno.env.get("HF_ENDPOINT");
  Deno.env.set("HF_ENDPOINT", server.url);
  const ctx = context({
    name: "tiny",
    repo: "caikit/tiny-bert",
    tokenizerFiles: ["tokenizer.json", "vocab.txt"],
  });
  try {
    await stage.run(ctx);
    for (const f of stage.outputs(ctx.params)) assert.ok(existsSync(join(ctx.outDir, f)), f);
    assert.deepEqual(
      readFileSync(join(ctx.outDir, "vocab.txt")),
      readFileSync(join(SRC, "vocab.txt")),
    );
    const index = readWeightsIndex(ctx.outDir);
    assert.equal(index.tensors["encoder.layer.4.output.dense.weight"].shape.join(), "37,32");
    assert.equal(readWeightsTensor(ctx.outDir, index, "classifier.bias").length, 2);
    const manifest = JSON.parse(readFileSync(join(ctx.outDir, "model.json"), "utf8"));
    assert.equal(manifest.repo, "caikit/tiny-bert");
    assert.equal(manifest.files["model.safetensors"].size, files["model.safetensors"].length);
    assert.match(manifest.commit, /^[0-9a-f]{40}$/);
    // The safetensors file is converted and dropped, not kept in scratch.
    assert.ok(!existsSync(join(ctx.scratchDir, "hub", "model.safetensors")));
  } finally {
    if (old === undefined) Deno.env.delete("HF_ENDPOINT");
    else Deno.env.set("HF_ENDPOINT", old);
    await server.close();
    rmSync(ctx.root, { recursive: true, force: true });
  }
});

Deno.test("download-model: a missing repository file is named; local dirs convert too", async () => {
  const server = await startHubFixtureServer({
    repos: [{
      type: "model",
      name: "x/no-weights",
      files: { "config.json": readFileSync(join(SRC, "config.json"), "utf8") },
    }],
  });
  const old = Deno.env.get("HF_ENDPOINT");
  Deno.env.set("HF_ENDPOINT", server.url);
  const bad = context({ name: "bad", repo: "x/no-weights" });
  const local = context({ name: "loc", source: "local", path: SRC });
  try {
    await assert.rejects(() => stage.run(bad), /x\/no-weights@main has no model.safetensors/);
    await stage.run(local);
    assert.ok(readWeightsIndex(local.outDir).tensors["pooler.dense.weight"]);
  } finally {
    if (old === undefined) Deno.env.delete("HF_ENDPOINT");
    else Deno.env.set("HF_ENDPOINT", old);
    await server.close();
    rmSync(bad.root, { recursive: true, force: true });
    rmSync(local.root, { recursive: true, force: true });
  }
});
