/** The report's curve checks say what they could test: one seed gives no interval to judge a fall. */
import assert from "node:assert/strict";
import { fallLines } from "../../lib/report/diagnostics.ts";
import type { ThresholdResult } from "../../lib/results/mod.ts";

function curve(n: number, means: number[], falls: ThresholdResult["falls"]): ThresholdResult {
  return {
    model: "m",
    task: "t",
    method: "did",
    falls,
    fallRule: "rule",
    curve: means.map((mean, i) => ({ size: 2 ** (i + 4), n, mean, low: null, high: null })),
  } as unknown as ThresholdResult;
}

Deno.test("falls: with one seed per point nothing is tested, and the report says so", () => {
  const lines = fallLines([curve(1, [0.9, 0.7, 0.6], [])]);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^Not tested: no curve has two or more seeds/);
});

Deno.test("falls: only curves with several seeds count, and a dip is listed", () => {
  const dip = [{ from: 32, to: 64, drop: 0.2 }] as ThresholdResult["falls"];
  const lines = fallLines([curve(3, [0.9, 0.7], dip), curve(1, [0.5, 0.4], [])]);
  assert.match(lines[0], /^1 significant fall in all, on 1 of 1 curves with ≥ 2 seeds \(1 curves/);
  assert.match(lines[1], /not monotone — 1 significant fall/);
});
