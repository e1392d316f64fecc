/**
 * The reported d90 interval (the t band of seed-mean − target, inverted): its coverage of a known
 * crossing on simulated noisy studies, and its ends on small hand-made curves.
 */
import assert from "node:assert/strict";
import { bandCrossing } from "../../lib/threshold/band_crossing.ts";
import type { SeedPoint } from "../../lib/threshold/seed_stats.ts";
import { Prng } from "../../lib/random/mod.ts";

/**
 * 600 simulated studies (200 each with 3, 4 and 5 seeds): true mean accuracy linear in log2 d
 * (so the interpolated crossing of the true curve is exact), each seed with its own curve offset
 * and per-point noise, the baseline with its own seeds. The 95% interval of the interpolated
 * crossing must cover the true crossing in about 95% of the studies, for every seed count.
 */
Deno.test("band interval of d90 covers the true crossing near 95% with 3, 4 and 5 seeds", () => {
  const sizes = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
  const baseline = 0.9;
  const truth = 16 * 2 ** 5.2; // accuracy 0.55 + 0.05·log2(d/16) reaches 0.81 at d = 16·2^5.2
  const prng = new Prng(20240101);
  const byN = new Map<number, [number, number]>();
  let grid = 0;
  for (let s = 0; s < 600; s++) {
    const n = [3, 4, 5][s % 3];
    const pts: SeedPoint[] = [];
    for (let seed = 0; seed < n; seed++) {
      const offset = 0.015 * prng.normal();
      for (const size of sizes) {
        pts.push({
          size,
          seed,
          value: 0.55 + 0.05 * Math.log2(size / 16) + offset + 0.01 * prng.normal(),
        });
      }
    }
    const base = Array.from({ length: n }, () => baseline + 0.005 * prng.normal());
    const band = bandCrossing(pts, base, baseline, 0.9)!;
    const lo = band.interpolated.low ?? Infinity;
    const hi = band.interpolated.high ?? Infinity;
    const c = byN.get(n) ?? [0, 0];
    byN.set(n, [c[0] + (lo <= truth && truth <= hi ? 1 : 0), c[1] + 1]);
    // The grid statistic's true value is the first grid size at or above the crossing: 1024.
    if ((band.value.low ?? Infinity) <= 1024 && 1024 <= (band.value.high ?? Infinity)) grid++;
  }
  const rates = [...byN].map(([n, [h, t]]) => [n, h / t] as const);
  console.log(
    `band coverage by seeds: ${rates.map(([n, r]) => `${n}: ${r.toFixed(3)}`).join(", ")}; ` +
      `grid statistic: ${(grid / 600).toFixed(3)}`,
  );
  for (const [n, r] of rates) assert.ok(r >= 0.9 && r <= 0.995, `${n} seeds: coverage ${r}`);
  assert.ok(grid / 600 >= 0.9, `grid statistic coverage ${grid / 600}`);
});

Deno.test("band interval: ends at the sizes where the upper and the lower band reach the target", () => {
  // Three seeds, means 0.5 / 0.8 / 0.95 with spread ±0.01; target 0.9 × 0.9 = 0.81 (fixed).
  const pts: SeedPoint[] = [];
  [[0.49, 0.5, 0.51], [0.79, 0.8, 0.81], [0.94, 0.95, 0.96]].forEach((vals, i) =>
    vals.forEach((value, seed) => pts.push({ size: [10, 100, 1000][i], seed, value }))
  );
  const band = bandCrossing(pts, [], 0.9, 0.9)!;
  // At 100: mean 0.8, s = 0.01, h = t(0.975, 2)·0.01/√3 = 0.0248: upper 0.825 ≥ 0.81 > lower 0.775.
  assert.deepEqual(band.value, { low: 100, high: 1000 });
  // One seed at a size: no interval.
  assert.equal(bandCrossing([{ size: 10, seed: 0, value: 0.5 }], [], 0.9, 0.9), null);
  // A curve whose lower band never reaches the target: the high end is beyond the grid.
  const flat = [0.8, 0.81, 0.82].map((value, seed) => ({ size: 10, seed, value }));
  assert.deepEqual(bandCrossing(flat, [], 0.9, 0.9)!.value, { low: 10, high: null });
});
