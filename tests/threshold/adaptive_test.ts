import assert from "node:assert/strict";
import { bisectGrid } from "../../lib/threshold/adaptive.ts";
import { findCrossing } from "../../lib/threshold/crossing.ts";

const grid = [100, 167, 278, 464, 774, 1292, 2154, 3594, 5995, 10000];

/** A monotone score curve: logistic in log(size) centred at `mid`. */
function logistic(mid: number) {
  return (s: number) => 0.5 + 0.45 / (1 + Math.exp(-3 * (Math.log(s) - Math.log(mid))));
}

Deno.test("adaptive: on every monotone curve it matches the full grid and evaluates fewer points", async () => {
  const target = 0.81;
  for (const mid of [50, 120, 300, 700, 1500, 3000, 8000, 20000, 1e6]) {
    const f = logistic(mid);
    const full = findCrossing(grid.map((size) => ({ size, value: f(size) })), target);
    let calls = 0;
    const out = await bisectGrid(grid, target, (s) => {
      calls++;
      return Promise.resolve(f(s));
    });
    const got = findCrossing(out.points, target);
    assert.deepEqual(got, full, `mid=${mid}`);
    assert.equal(calls, out.evaluated);
    assert.ok(out.evaluated <= Math.ceil(Math.log2(grid.length + 1)) + 1, `mid=${mid}`);
    assert.equal(out.skipped, grid.length - out.evaluated);
    assert.ok(out.skipped >= 5, `mid=${mid}: saved ${out.skipped}`);
  }
});

Deno.test("adaptive: step curves at every position give the full grid's answer", async () => {
  for (let k = 0; k <= grid.length; k++) {
    const f = (s: number) => (grid.indexOf(s) >= k ? 0.9 : 0.4 + 0.01 * grid.indexOf(s));
    const full = findCrossing(grid.map((size) => ({ size, value: f(size) })), 0.8);
    const out = await bisectGrid(grid, 0.8, (s) => Promise.resolve(f(s)));
    assert.deepEqual(findCrossing(out.points, 0.8), full, `k=${k}`);
  }
});

Deno.test("adaptive: null scores (diverged points) count as below the target", async () => {
  const out = await bisectGrid([1, 2, 4, 8], 0.5, (s) => Promise.resolve(s >= 4 ? 0.9 : null));
  assert.equal(findCrossing(out.points, 0.5).value, 4);
});
