/**
 * The embedded default, end to end, at test size: the same `pipeline.yaml` (same models, task,
 * methods, stages, seed policy and adaptive search beside the grid) with fewer pretraining
 * steps, fewer rows, shorter runs, two seeds and two-point grids, run through the real CLI in a
 * subprocess. The report must exist and hold d90 (DID) and r90 (LoRA) at every pretraining
 * checkpoint. The full-size run is measured in the README.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TASK = "spam-source";
const CHECKPOINTS = ["tiny-bert@0", "tiny-bert@30"];

/** The default config, shrunk to test size. */
function testSizedConfig(store: string): string {
  const doc = YAML.parse(Deno.readTextFileSync(path.join(REPO, "pipeline.yaml")));
  const e = doc.experiment;
  doc.run = { ...doc.run, store, jobs: 2 };
  Object.assign(e.models["tiny-bert"], { checkpoints: [0, 30], max_sentences: 2000 });
  for (const t of Object.values<Record<string, unknown>>(e.tasks)) {
    Object.assign(t, { n_train: 96, n_select: 32, n_report: 48 });
  }
  e.seeds = [0, 1];
  e.train = { ...e.train, steps: 12, eval_every: 6 };
  e.full.lr = [e.full.lr[0]];
  e.did = { ...e.did, d: [16, 256], lr: [0.5] };
  e.lora = { ...e.lora, r: [1, 4], lr: [0.006] };
  return YAML.stringify(doc);
}

/** Minimal CSV reader for the report's summary (quoted cells allowed). */
function parseCsv(text: string): Record<string, string>[] {
  const rows = text.trim().split("\n").map((line) =>
    [...line.matchAll(/("([^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1].replace(/^"|"$/g, ""))
      .slice(0, -1)
  );
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ""])));
}

Deno.test({
  name: "default pipeline (test size): report with d90 and r90 at every pretraining checkpoint",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "idim-default-" });
    const config = path.join(dir, "pipeline.yaml");
    Deno.writeTextFileSync(config, testSizedConfig(path.join(dir, "store")));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", path.join(REPO, "pipeline.ts"), "run", "--config", config],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, log.slice(-4000));
    assert.match(log, /failed 0, skipped 0/);

    const reports = path.join(dir, "reports");
    for (const f of ["index.html", "summary.md", "summary.csv", "runs.csv", "stats.json"]) {
      assert.ok(existsSync(path.join(reports, f)), `reports/${f}`);
    }
    for (const chart of ["accuracy_vs_d", "accuracy_vs_r", "d90_vs_r90", "d90_vs_pretrain_steps"]) {
      assert.ok(existsSync(path.join(reports, "charts", `${chart}.png`)), chart);
    }
    const summary = parseCsv(Deno.readTextFileSync(path.join(reports, "summary.csv")));
    for (const model of CHECKPOINTS) {
      const row = summary.find((r) => r.task === TASK && r.model === model);
      assert.ok(row, `summary row for ${model}: ${JSON.stringify(summary)}`);
      for (const col of ["d90_did", "r90"]) assert.ok(col in row, col);
      assert.ok(Number(row.baseline) > 0, `${model} baseline`);
    }
    // Each (checkpoint, method) has its grid threshold and the adaptive search beside it.
    const lock = YAML.parse(Deno.readTextFileSync(path.join(dir, "pipeline.lock")));
    const instances = Object.values<{ kind: string; params: Record<string, unknown> }>(
      lock.instances,
    );
    for (const kind of ["threshold", "threshold-search"]) {
      const found = instances.filter((i) => i.kind === kind)
        .map((i) => `${i.params.model}/${i.params.method}`).sort();
      assert.deepEqual(found, CHECKPOINTS.flatMap((m) => [`${m}/did`, `${m}/lora`]), kind);
    }
    const md = Deno.readTextFileSync(path.join(reports, "summary.md"));
    assert.match(md, /adaptive .* vs grid .*runs and saved \d+/, "adaptive vs grid in the report");

    // A second run recomputes nothing.
    const again = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", path.join(REPO, "pipeline.ts"), "--config", config],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(again.code, 0);
    assert.match(new TextDecoder().decode(again.stdout), /ran 0, cached \d+, failed 0/);
    Deno.removeSync(dir, { recursive: true });
  },
});
