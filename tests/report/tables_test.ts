import assert from "node:assert/strict";
import * as aq from "arquero";
import {
  duration,
  runRows,
  summaryMarkdownTable,
  summaryRows,
  toCsv,
} from "../../lib/report/tables.ts";
import { loadFixture } from "./helpers.ts";

const data = loadFixture();

Deno.test("runs.csv has every run of every point, with the chosen lr flagged", () => {
  const rows = runRows(data.points);
  const total = data.points.reduce((n, p) => n + p.runs.length, 0);
  assert.equal(rows.length, total);
  // Exactly one chosen run per point (two lrs per point in the fixture).
  assert.equal(rows.filter((r) => r.chosen).length, data.points.length);
  const diverged = rows.filter((r) => r.status === "diverged");
  assert.equal(diverged.length, 1);
  assert.equal(diverged[0].report_value, null);
  assert.equal(diverged[0].chosen, false);
  const csv = toCsv(rows);
  const back = aq.fromCSV(csv);
  assert.equal(back.numRows(), total);
  assert.deepEqual(back.columnNames().slice(0, 7), [
    "model",
    "pretrain_steps",
    "task",
    "method",
    "size",
    "seed",
    "lr",
  ]);
  assert.equal(back.get("reason", rows.indexOf(diverged[0])), "loss became NaN at step 37");
});

Deno.test("summary.csv: one row per model variant and task, runs and compute time summed", () => {
  const rows = summaryRows(data.points, data.thresholds, "value");
  assert.equal(rows.length, 10);
  const qqp = rows.find((r) => r.model === "roberta-large" && r.task === "qqp")!;
  assert.equal(qqp.baseline_source, "reference");
  assert.equal(qqp.baseline, 0.922);
  const own = data.points.filter((p) => p.model === "roberta-large" && p.task === "qqp");
  assert.equal(qqp.runs, own.reduce((n, p) => n + p.runs.length, 0));
  const seconds = own.flatMap((p) => p.runs).reduce((s, r) => s + r.wallSeconds, 0);
  assert.ok(Math.abs(qqp.compute_seconds - seconds) <= 0.05);
  const t = (m: string) =>
    data.thresholds.find((x) => x.model === "roberta-large" && x.task === "qqp" && x.method === m)!;
  assert.deepEqual([qqp.d90_did, qqp.d90_said, qqp.r90], [
    t("did").value,
    t("said").value,
    t("lora").value,
  ]);
  assert.equal(qqp.r90_interpolated, t("lora").interpolated);
  const tiny = rows.filter((r) => r.model === "tiny").map((r) => r.pretrain_steps);
  assert.deepEqual(tiny, [1000, 4000, 16000], "variants ordered by pretraining steps");
  const back = aq.fromCSV(toCsv(rows));
  assert.equal(back.numRows(), 10);
  assert.ok(back.columnNames().includes("compute_seconds"));
});

Deno.test("the Markdown summary marks reference baselines and thresholds not reached", () => {
  const md = summaryMarkdownTable(
    summaryRows(data.points, data.thresholds, "value"),
    data.thresholds,
  );
  const lines = md.trim().split("\n");
  assert.equal(lines.length, 12, "header, rule, 10 rows");
  assert.match(
    lines[0],
    /\|model\|task\|metric\|baseline\|target\|d90 DID \[95% CI\]\|d90 SAID \[95% CI\]\|r90 \[95% CI\]\|runs\|compute\|/,
  );
  const bertBase = lines.find((l) => l.startsWith("|bert-base-uncased|anli|"))!;
  assert.match(
    bertBase,
    /^\|bert-base-uncased\|anli\|.*not reached \(> 10000\)\|.*\|not reached \(> 32\)\|/,
  );
  assert.match(lines.find((l) => l.includes("|qqp|"))!, /0\.9220 \(reference\)/);
  assert.equal(duration(4895.4), "1 h 21 min");
  assert.equal(duration(200), "3 min 20 s");
  assert.equal(duration(12), "12 s");
});

Deno.test("a threshold reached at the grid's first point is shown as an upper bound", () => {
  const thresholds = data.thresholds.map((t) =>
    t.model === "roberta-large" && t.task === "sst2" && t.method === "lora"
      ? { ...t, value: 2, crossing: "first-point" as const }
      : t
  );
  const md = summaryMarkdownTable(summaryRows(data.points, thresholds, "value"), thresholds);
  const sst2 = md.split("\n").find((l) => l.includes("|sst2|"))!;
  assert.match(sst2, /\|≤ 2( \[[^\]]*\])?\|/);
});
