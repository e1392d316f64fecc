import assert from "node:assert/strict";
import { findCrossing, logInterpolate, reaches } from "../../lib/threshold/crossing.ts";

const grid = [100, 215, 464, 1000, 2154, 4642, 10000];
const curve = (values: (number | null)[]) => values.map((value, i) => ({ size: grid[i], value }));

Deno.test("crossing: monotone curve gives the first grid value reaching the target, interpolated on log scale", () => {
  const c = findCrossing(curve([0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.96]), 0.75);
  assert.equal(c.value, 1000);
  assert.equal(c.kind, "interior");
  assert.equal(c.monotone, true);
  // halfway between 0.7 and 0.8 → geometric mean of 464 and 1000
  assert.ok(Math.abs(c.interpolated! - Math.sqrt(464 * 1000)) < 1e-9);
});

Deno.test("crossing: non-monotone curve takes the first reaching point and is flagged", () => {
  const c = findCrossing(curve([0.5, 0.8, 0.6, 0.7, 0.85, 0.9, 0.9]), 0.75);
  assert.equal(c.value, 215);
  assert.equal(c.monotone, false);
  // between 100 (0.5) and 215 (0.8): fraction 5/6 of the log distance
  const expect = Math.exp(Math.log(100) + (5 / 6) * (Math.log(215) - Math.log(100)));
  assert.ok(Math.abs(c.interpolated! - expect) < 1e-9);
});

Deno.test("crossing: a curve never reaching the target gives null, not the largest grid value", () => {
  const c = findCrossing(curve([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]), 0.75);
  assert.deepEqual(c, { value: null, interpolated: null, kind: "not-reached", monotone: true });
});

Deno.test("crossing: reaching at the first point gives that point as value and upper bound", () => {
  const c = findCrossing(curve([0.9, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95]), 0.75);
  assert.equal(c.value, 100);
  assert.equal(c.interpolated, 100);
  assert.equal(c.kind, "first-point");
});

Deno.test("crossing: ties — a value equal to the target (up to float rounding) reaches it", () => {
  // 0.9 * 0.8 is 0.7200000000000001 in floating point; a measured 0.72 must count as reaching.
  const target = 0.9 * 0.8;
  assert.ok(target > 0.72);
  assert.ok(reaches(0.72, target));
  const c = findCrossing(curve([0.5, 0.72, 0.72, 0.72, 0.8, 0.8, 0.8]), target);
  assert.equal(c.value, 215);
  // the reaching point sits exactly on the target: interpolation lands on it
  assert.ok(Math.abs(c.interpolated! - 215) < 1e-6);
  // plateau of equal values below the target: the last one below anchors the interpolation
  const p = findCrossing(curve([0.6, 0.6, 0.6, 0.9, 0.9, 0.9, 0.9]), 0.75);
  assert.equal(p.value, 1000);
  const expect = Math.exp(Math.log(464) + 0.5 * (Math.log(1000) - Math.log(464)));
  assert.ok(Math.abs(p.interpolated! - expect) < 1e-9);
});

Deno.test("crossing: null points (diverged) never reach and are skipped as anchors", () => {
  const c = findCrossing(curve([0.5, null, 0.9, 0.9, 0.9, 0.9, 0.9]), 0.7);
  assert.equal(c.value, 464);
  const expect = logInterpolate(100, 0.5, 464, 0.9, 0.7);
  assert.ok(Math.abs(c.interpolated! - expect) < 1e-9);
});

Deno.test("crossing: unsorted input is sorted; duplicate sizes are rejected", () => {
  const c = findCrossing([{ size: 1000, value: 0.9 }, { size: 100, value: 0.1 }], 0.5);
  assert.equal(c.value, 1000);
  assert.throws(
    () => findCrossing([{ size: 100, value: 0.1 }, { size: 100, value: 0.2 }], 0.5),
    /grid size 100 appears twice/,
  );
});
