import assert from "node:assert/strict";
import { computeThreshold, type SweepPoint } from "../../lib/threshold/aggregate.ts";

const grid = [1, 2, 4, 8, 16];
function pts(seed: number, values: (number | null)[]): SweepPoint[] {
  return values.map((value, i) => ({ size: grid[i], seed, value }));
}
const base = {
  model: "tiny",
  task: "spam",
  method: "lora" as const,
  metric: "accuracy",
  baseline: 0.9,
  baselineSource: "measured" as const,
  fraction: 0.9,
  modelParams: 1000,
};

Deno.test("threshold: target is fraction × baseline; one seed has no spread", () => {
  const r = computeThreshold({ ...base, points: pts(0, [0.5, 0.7, 0.82, 0.85, 0.88]) });
  assert.ok(Math.abs(r.target - 0.81) < 1e-12);
  assert.equal(r.value, 4);
  assert.equal(r.spread, null);
  assert.equal(r.perSeed.length, 1);
  assert.equal(r.runsSaved, 0);
});

Deno.test("threshold: several seeds: d90 read from the seed-mean curve; per-seed mean and sd kept", () => {
  const r = computeThreshold({
    ...base,
    points: [
      ...pts(0, [0.5, 0.82, 0.85, 0.86, 0.88]), // 2
      ...pts(1, [0.5, 0.7, 0.82, 0.85, 0.88]), // 4
      ...pts(2, [0.5, 0.7, 0.8, 0.85, 0.88]), // 8
    ],
  });
  assert.deepEqual(r.perSeed.map((s) => s.value), [2, 4, 8]);
  // Mean curve: 0.5, 0.7733, 0.8233, 0.8533, 0.88 → first reaching 0.81 is size 4.
  assert.equal(r.value, 4);
  assert.equal(r.crossing, "interior");
  assert.equal(r.curve!.length, 5);
  assert.ok(Math.abs(r.curve![1].mean! - (0.82 + 0.7 + 0.7) / 3) < 1e-12);
  const m = 14 / 3;
  const sd = Math.sqrt(((2 - m) ** 2 + (4 - m) ** 2 + (8 - m) ** 2) / 2);
  assert.ok(Math.abs(r.spread! - sd) < 1e-12);
  assert.equal(r.monotone, true);
});

Deno.test("threshold: the seed-mean estimator reads the mean curve; per-seed crossings kept", () => {
  const r = computeThreshold({
    ...base,
    points: [...pts(0, [0.5, 0.82, 0.85, 0.86, 0.88]), ...pts(1, [0.5, 0.6, 0.6, 0.7, 0.8])],
  });
  // Mean curve 0.5, 0.71, 0.725, 0.78, 0.84: the mean reaches 0.81 at 16 only.
  assert.equal(r.value, 16);
  assert.equal(r.spread, null);
  assert.deepEqual(r.perSeed.map((s) => [s.value, s.crossing]), [[2, "interior"], [
    null,
    "not-reached",
  ]]);
});

Deno.test("threshold: a reference baseline is carried through and marked", () => {
  const r = computeThreshold({
    ...base,
    baseline: 0.95,
    baselineSource: "reference",
    points: pts(0, [0.5, 0.7, 0.82, 0.86, 0.88]),
  });
  assert.equal(r.baselineSource, "reference");
  assert.equal(r.value, 8);
});

Deno.test("threshold: bad fraction or baseline is rejected with a clear message", () => {
  assert.throws(() => computeThreshold({ ...base, fraction: 90, points: [] }), /fraction/);
  assert.throws(() => computeThreshold({ ...base, baseline: NaN, points: [] }), /baseline/);
});
