import assert from "node:assert/strict";
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPORT_FILES } from "../../lib/report/report_files.ts";
import { reportParams, reportStage } from "../../stages/report.ts";
import { FIXTURE_DIR, tempDir } from "./helpers.ts";
import { contextDefaults } from "../data/stage_context.ts";

const RESULTS_REF = { kind: "collect-results", params: { config: "pipeline.yaml" } };

function walk(root: string): string[] {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  return files(root).map((p) => relative(root, p)).sort();
}

function context(resultsDir: string, outDir: string, params = {}) {
  const logs: string[] = [];
  return {
    logs,
    ctx: {
      ...contextDefaults(),
      params: reportParams.parse({ results: RESULTS_REF, bootstrapResamples: 300, ...params }),
      inputs: { results: resultsDir },
      outDir,
      scratchDir: tempDir(),
      device: "cpu",
      log: (m: string) => logs.push(m),
      progress: () => {},
      signal: new AbortController().signal,
    },
  };
}

Deno.test("the stage declares its input, outputs, defaults and publish dir", () => {
  const p = reportParams.parse({ results: RESULTS_REF });
  assert.deepEqual(
    [p.statistic, p.bootstrapResamples, p.seed, p.confidence],
    ["value", 2000, 1, 0.95],
  );
  assert.equal(reportStage.kind, "report");
  assert.deepEqual(reportStage.inputs!(p), { results: RESULTS_REF });
  assert.deepEqual(reportStage.outputs(p), [...REPORT_FILES]);
  assert.equal(reportStage.publish!(p), "reports");
  assert.throws(() => reportParams.parse({ results: RESULTS_REF, confidence: 2 }));
  assert.throws(() => reportParams.parse({}));
});

Deno.test("run writes exactly its declared outputs from a results directory", async () => {
  const out = tempDir();
  const { ctx, logs } = context(FIXTURE_DIR, out);
  await reportStage.run(ctx);
  assert.deepEqual(walk(out), [...REPORT_FILES].sort());
  const spec = JSON.parse(readFileSync(join(out, "charts/d90_vs_r90.vl.json"), "utf8"));
  assert.equal(spec.layer[2].encoding.x.field, "r90");
  assert.match(readFileSync(join(out, "charts/d90_vs_r90.svg"), "utf8"), /^<svg/);
  assert.deepEqual([...readFileSync(join(out, "charts/d90_vs_r90.png")).subarray(1, 4)], [
    80,
    78,
    71,
  ]);
  assert.match(
    readFileSync(join(out, "summary.md"), "utf8"),
    /## Does d90 track r90 across tasks\?/,
  );
  const stats = JSON.parse(readFileSync(join(out, "stats.json"), "utf8"));
  assert.equal(stats.options.bootstrap.resamples, 300);
  assert.ok(logs.some((l) => l.includes("rendered chart d90_vs_r90")));
  Deno.removeSync(out, { recursive: true });
});

Deno.test("the report is deterministic for a seed", async () => {
  const a = tempDir();
  const b = tempDir();
  await reportStage.run(context(FIXTURE_DIR, a).ctx);
  await reportStage.run(context(FIXTURE_DIR, b).ctx);
  for (
    const f of ["stats.json", "summary.md", "summary.csv", "index.html", "charts/d90_vs_r90.svg"]
  ) {
    assert.equal(readFileSync(join(a, f), "utf8"), readFileSync(join(b, f), "utf8"), f);
  }
  Deno.removeSync(a, { recursive: true });
  Deno.removeSync(b, { recursive: true });
});

Deno.test("bad input fails with the file and key, and writes nothing", async () => {
  const results = tempDir();
  cpSync(FIXTURE_DIR, results, { recursive: true });
  const doc = JSON.parse(readFileSync(join(results, "results.json"), "utf8"));
  doc.thresholds[2].target = null;
  writeFileSync(join(results, "results.json"), JSON.stringify(doc));
  const out = tempDir();
  await assert.rejects(
    reportStage.run(context(results, out).ctx),
    /results\.json: thresholds\[2\]\.target: .*expected number/,
  );
  assert.deepEqual(readdirSync(out), []);
  Deno.removeSync(results, { recursive: true });
  Deno.removeSync(out, { recursive: true });
});
