/**
 * Compares two runs of the same pipeline config on different devices (bench/gpu/run_pipeline.sh):
 * reads each one's `reports/summary.csv` and `reports/runs.csv` and writes JSON with the
 * providers recorded per run, the d90/r90 summary rows side by side with whether they match, and
 * the largest differences of the runs' select/report values.
 *   deno run -A bench/gpu/pipeline_compare.ts --a DIR --b DIR [--meta FILE] --out FILE
 *
 * @module
 */
import * as path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    a: { type: "string" },
    b: { type: "string" },
    meta: { type: "string" },
    out: { type: "string" },
  },
});

type Row = Record<string, string>;
function parseCsv(text: string): Row[] {
  const rows = text.trim().split("\n").map((line) =>
    [...line.matchAll(/("([^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1].replace(/^"|"$/g, ""))
      .slice(0, -1)
  );
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ""])));
}
function read(dir: string, file: string): Row[] {
  try {
    return parseCsv(Deno.readTextFileSync(path.join(dir, "reports", file)));
  } catch {
    return [];
  }
}

const dirs = { a: values.a!, b: values.b! };
const summary = { a: read(dirs.a, "summary.csv"), b: read(dirs.b, "summary.csv") };
const runs = { a: read(dirs.a, "runs.csv"), b: read(dirs.b, "runs.csv") };
const SUM_KEYS = ["d90_did", "d90_said", "r90", "baseline", "target"];
const sumKey = (r: Row) => `${r.model}|${r.task}`;
const bSum = new Map(summary.b.map((r) => [sumKey(r), r]));
const rows = summary.a.map((ra) => {
  const rb = bSum.get(sumKey(ra));
  const diff = SUM_KEYS.filter((k) => !rb || ra[k] !== rb[k]);
  return {
    model: ra.model,
    task: ra.task,
    a: Object.fromEntries(SUM_KEYS.map((k) => [k, ra[k]])),
    b: rb ? Object.fromEntries(SUM_KEYS.map((k) => [k, rb[k]])) : null,
    match: diff.length === 0,
    differs: diff,
  };
});
const runKey = (r: Row) => [r.model, r.task, r.method, r.size, r.seed, r.lr].join("|");
const bRuns = new Map(runs.b.map((r) => [runKey(r), r]));
const runDiffs = runs.a.map((ra) => {
  const rb = bRuns.get(runKey(ra));
  return {
    run: runKey(ra),
    select: rb ? Math.abs(Number(ra.select_value) - Number(rb.select_value)) : null,
    report: rb ? Math.abs(Number(ra.report_value) - Number(rb.report_value)) : null,
    bestStep: rb ? [ra.best_step, rb.best_step] : null,
    status: rb ? [ra.status, rb.status] : [ra.status, null],
    wall: rb ? [Number(ra.wall_seconds), Number(rb.wall_seconds)] : null,
  };
});
const count = (rs: Row[]) => {
  const c: Record<string, number> = {};
  for (const r of rs) c[r.provider] = (c[r.provider] ?? 0) + 1;
  return c;
};
const sumWall = (rs: Row[]) => rs.reduce((s, r) => s + (Number(r.wall_seconds) || 0), 0);
const result = {
  meta: values.meta ? JSON.parse(Deno.readTextFileSync(values.meta)) : undefined,
  providers: { a: count(runs.a), b: count(runs.b) },
  runs: { a: runs.a.length, b: runs.b.length },
  trainWallSecondsSum: { a: sumWall(runs.a), b: sumWall(runs.b) },
  summaryMatch: rows.length > 0 && rows.every((r) => r.match) &&
    summary.a.length === summary.b.length,
  summary: rows,
  runValuesIdentical: runDiffs.filter((d) => d.select === 0 && d.report === 0).length,
  runValueDiffs: runDiffs.filter((d) => d.select !== 0 || d.report !== 0),
  runsCsv: runs,
};
const text = JSON.stringify(result, null, 1);
if (values.out) Deno.writeTextFileSync(values.out, text + "\n");
console.log(JSON.stringify(
  {
    providers: result.providers,
    trainWallSecondsSum: result.trainWallSecondsSum,
    summaryMatch: result.summaryMatch,
    summary: rows.map((r) =>
      `${r.model} ${r.task}: ${JSON.stringify(r.a)} vs ${JSON.stringify(r.b)}`
    ),
    runValuesIdentical: result.runValuesIdentical,
    runValueDiffs: result.runValueDiffs.length,
  },
  null,
  1,
));
