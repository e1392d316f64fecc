import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeReport } from "../../lib/report/write_report.ts";
import { DEFAULT_REPORT_OPTIONS } from "../../lib/report/report_files.ts";
import { dirname, join } from "node:path";
import { collectCodeVersion, collectHardware } from "../../lib/report/collect_provenance.ts";
import { readResults, validateReportData, writeResults } from "../../lib/report/load_results.ts";
import { FIXTURE_DIR, loadFixture, rawFixture, REPO_ROOT, tempDir } from "./helpers.ts";

Deno.test("the fixture is valid and covers what the report must handle", () => {
  const d = loadFixture();
  assert.equal(d.thresholds.length, 30);
  const methods = new Set(d.points.map((p) => p.method));
  assert.deepEqual([...methods].sort(), ["did", "full", "lora", "said"]);
  assert.ok(new Set(d.points.map((p) => p.seed)).size >= 2, "several seeds");
  assert.equal(
    new Set(d.thresholds.filter((t) => t.task === "anli").map((t) => t.modelParams)).size,
    4,
  );
  assert.ok(d.thresholds.some((t) => t.value === null), "a sweep that never reaches the target");
  assert.ok(d.thresholds.some((t) => t.baselineSource === "reference"));
  assert.equal(new Set(d.thresholds.map((t) => t.pretrainSteps).filter((s) => s)).size, 3);
  assert.ok(d.points.some((p) => p.runs.some((r) => r.status === "diverged")));
});

Deno.test("a wrong type is reported with the file, the index and the key", () => {
  const raw = rawFixture();
  (raw.results.thresholds[3] as Record<string, unknown>).baseline = "0.9";
  assert.throws(
    () => validateReportData(raw, "in"),
    (e: Error) => {
      assert.match(e.message, /in\/results\.json: thresholds\[3\]\.baseline: .*expected number/);
      return true;
    },
  );
  const raw2 = rawFixture();
  // deno-lint-ignore no-explicit-any
  (raw2.results.points[5] as any).runs[1].status = "exploded";
  assert.throws(
    () => validateReportData(raw2, "in"),
    /in\/results\.json: points\[5\]\.runs\[1\]\.status/,
  );
  const raw3 = rawFixture();
  // deno-lint-ignore no-explicit-any
  delete (raw3.provenance as any).hardware.cores;
  assert.throws(() => validateReportData(raw3, "in"), /in\/provenance\.json: hardware\.cores/);
});

Deno.test("duplicate thresholds and bad fractions are refused", () => {
  const raw = rawFixture();
  raw.results.thresholds.push(raw.results.thresholds[0]);
  assert.throws(
    () => validateReportData(raw, "in"),
    /in\/results\.json: thresholds\[30\] duplicates \[0\] \(roberta-large\/mrpc\/did\)/,
  );
  const raw2 = rawFixture();
  (raw2.results.thresholds[1] as Record<string, unknown>).fraction = 90;
  assert.throws(
    () => validateReportData(raw2, "in"),
    /thresholds\[1\]\.fraction: expected a number in \(0, 1\]/,
  );
});

Deno.test("missing files and invalid JSON name the file", () => {
  const dir = tempDir();
  assert.throws(() => readResults(dir), new RegExp(`${join(dir, "results.json")} cannot be read`));
  mkdirSync(dir, { recursive: true });
  for (const f of ["results.json", "provenance.json"]) {
    writeFileSync(join(dir, f), Deno.readTextFileSync(join(FIXTURE_DIR, f)));
  }
  writeFileSync(join(dir, "provenance.json"), "[{");
  assert.throws(() => readResults(dir), /provenance\.json is not valid JSON/);
  writeFileSync(join(dir, "results.json"), "[{");
  assert.throws(() => readResults(dir), /results\.json is not valid JSON/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("writeResults writes a directory that readResults reads back unchanged", () => {
  const d = loadFixture();
  const dir = join(tempDir(), "results");
  writeResults(dir, d);
  assert.deepEqual(readResults(dir), d);
  assert.throws(
    () => writeResults(join(dir, "bad"), { ...d, thresholds: [{ model: 1 }] } as never),
    /bad\/results\.json: thresholds\[0\]\.model/,
  );
  Deno.removeSync(dirname(dir), { recursive: true });
});

Deno.test("provenance helpers describe this machine and the git version", async () => {
  const hw = collectHardware();
  assert.ok(hw.cores >= 1 && hw.memoryGiB > 0 && hw.cpuModel.length > 0);
  const code = await collectCodeVersion(REPO_ROOT);
  assert.match(code.commit, /^[0-9a-f]{40}$/);
  assert.equal(code.dirty, code.describe.endsWith("-dirty"));
  await assert.rejects(collectCodeVersion("/"), /git .* failed in \//);
});

Deno.test("without provenance.json the gaps are stated", async () => {
  const raw = rawFixture();
  const dir = tempDir();
  // deno-lint-ignore no-explicit-any
  (raw.results.thresholds[0] as any).key = "a".repeat(64);
  writeFileSync(
    join(dir, "results.json"),
    JSON.stringify({
      policy: "lr chosen on the select split",
      thresholds: raw.results.thresholds,
      points: raw.results.points,
    }),
  );
  const d = readResults(dir);
  assert.equal(d.thresholds.length, 30);
  assert.equal(d.points.length, loadFixture().points.length);
  assert.match(d.provenance.missing!, /no provenance\.json in the results input/);
  assert.equal(d.provenance.executionProvider, "cpu");
  assert.equal(d.provenance.evaluationPolicy.selectSplit, "lr chosen on the select split");
  assert.deepEqual(d.provenance.instances[0], {
    kind: "threshold",
    label: "roberta-large/mrpc/did",
    key: "a".repeat(64),
  });
  assert.ok(d.provenance.instances.some((i) => i.kind === "run"), "run keys kept");
  const out = tempDir();
  await writeReport(d, out, {
    ...DEFAULT_REPORT_OPTIONS,
    bootstrap: { resamples: 200, seed: 1, confidence: 0.95 },
  });
  const html = readFileSync(join(out, "index.html"), "utf8");
  assert.match(html, /Provenance incomplete:/);
  assert.match(html, /CPU: not recorded/);
  assert.match(readFileSync(join(out, "summary.md"), "utf8"), /hardware not recorded/);
  // With a provenance.json next to it, that one is used.
  writeFileSync(join(dir, "provenance.json"), JSON.stringify(raw.provenance));
  assert.equal(readResults(dir).provenance.missing, undefined);
  writeFileSync(
    join(dir, "results.json"),
    JSON.stringify({ policy: 3, thresholds: [], points: [] }),
  );
  assert.throws(() => readResults(dir), /results\.json: policy: .*expected string/);
  writeFileSync(join(dir, "results.json"), JSON.stringify({ thresholds: [{}], points: [] }));
  assert.throws(() => readResults(dir), /results\.json: thresholds\[0\]\.model/);
  Deno.removeSync(dir, { recursive: true });
  Deno.removeSync(out, { recursive: true });
});
