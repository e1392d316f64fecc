import assert from "node:assert/strict";
import {
  bootstrapPaired,
  logCorrelation,
  logLogSlope,
  olsSlope,
  pearson,
  quantileSorted,
  ranks,
  spearman,
} from "../../lib/report/stats.ts";
import { logGamma, regularizedBeta, tCdf, tQuantile } from "../../lib/report/student_t.ts";
import { Prng } from "../../lib/random/prng.ts";

function close(actual: number | null | undefined, expected: number, tol = 1e-9, what = "") {
  assert.ok(
    actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol,
    `${what} expected ${expected} ± ${tol}, got ${actual}`,
  );
}

Deno.test("Student t quantiles match closed forms and printed tables", () => {
  // df = 1 is Cauchy: t = tan(π (p − 1/2)).
  close(tQuantile(0.975, 1), Math.tan(Math.PI * 0.475), 1e-8, "df=1");
  // df = 2 has t = (2p − 1) / sqrt(2 p (1 − p)).
  close(tQuantile(0.975, 2), 0.95 / Math.sqrt(2 * 0.975 * 0.025), 1e-9, "df=2");
  close(tQuantile(0.975, 3), 3.182446305, 1e-8, "df=3");
  close(tQuantile(0.975, 10), 2.228138852, 1e-8, "df=10");
  close(tQuantile(0.95, 5), 2.015048373, 1e-8, "df=5 one-sided 95%");
  close(tQuantile(0.995, 30), 2.749995654, 1e-8, "df=30 99%");
  close(tQuantile(0.975, 1e6), 1.959966, 1e-5, "large df → normal");
  close(tQuantile(0.025, 4), -2.776445105, 1e-8, "lower tail");
  assert.equal(tQuantile(0.5, 7), 0);
  close(tCdf(tQuantile(0.9, 6.5), 6.5), 0.9, 1e-12, "cdf∘quantile");
  assert.throws(() => tQuantile(1, 3), /p must be in \(0, 1\)/);
  assert.throws(() => tQuantile(0.9, 0), /degrees of freedom/);
});

Deno.test("log-gamma and the incomplete beta agree with exact values", () => {
  close(logGamma(5), Math.log(24), 1e-12, "Γ(5)");
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12, "Γ(1/2)");
  // I_x(1, 1) = x; I_x(2, 1) = x^2; I_x(1, b) = 1 − (1 − x)^b.
  close(regularizedBeta(0.3, 1, 1), 0.3, 1e-12);
  close(regularizedBeta(0.3, 2, 1), 0.09, 1e-12);
  close(regularizedBeta(0.3, 1, 4), 1 - 0.7 ** 4, 1e-12);
});

Deno.test("Pearson matches the textbook example and is undefined for constant data", () => {
  // Σdxdy = 6, Σdx² = 10, Σdy² = 6  →  r = 6/√60.
  close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60), 1e-12);
  close(pearson([1, 2, 3], [30, 20, 10]), -1, 1e-12);
  assert.equal(pearson([1, 2, 3], [4, 4, 4]), null);
  assert.equal(pearson([1], [2]), null);
  assert.throws(() => pearson([1, 2], [1]), /same length/);
  assert.throws(() => pearson([1, NaN], [1, 2]), /point 1 is not finite/);
});

Deno.test("ranks average ties and Spearman matches known answers", () => {
  assert.deepEqual(ranks([10, 20, 20, 5, 20]), [2, 4, 4, 1, 4]);
  // Wikipedia's IQ vs TV-hours example: ρ = −29/165.
  const iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110];
  const tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17];
  close(spearman(iq, tv), -29 / 165, 1e-12, "IQ/TV");
  // With ties: ranks y = [1.5, 1.5, 3, 4]; Σ = 4.5, Σdx² = 5, Σdy² = 4.5.
  close(spearman([1, 2, 3, 4], [1, 1, 2, 3]), 4.5 / Math.sqrt(5 * 4.5), 1e-12, "ties");
  // Any monotone transform gives ρ = 1.
  close(spearman([1, 2, 3, 4, 5], [1, 8, 27, 64, 125]), 1, 1e-12);
});

Deno.test("quantileSorted interpolates like R type 7", () => {
  const v = [1, 2, 3, 4];
  assert.equal(quantileSorted(v, 0), 1);
  assert.equal(quantileSorted(v, 1), 4);
  close(quantileSorted(v, 0.5), 2.5, 1e-12);
  close(quantileSorted(v, 0.25), 1.75, 1e-12);
});

Deno.test("the bootstrap is seeded, and a perfectly monotone relation has CI [1, 1]", () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const y = [2, 1, 4, 3, 6, 5, 8, 7];
  const a = bootstrapPaired(x, y, spearman, { resamples: 500, seed: 7 });
  const b = bootstrapPaired(x, y, spearman, { resamples: 500, seed: 7 });
  assert.deepEqual(a, b);
  const yc = [2.1, 0.7, 3.9, 3.2, 6.6, 4.8, 8.3, 6.1];
  const c1 = bootstrapPaired(x, yc, pearson, { resamples: 500, seed: 7 });
  const c2 = bootstrapPaired(x, yc, pearson, { resamples: 500, seed: 8 });
  assert.ok(c1 && c2 && c1.low !== c2.low, "another seed, other resamples");
  const r = spearman(x, y)!;
  assert.ok(a!.low <= r && r <= a!.high, `CI [${a!.low}, ${a!.high}] contains ρ = ${r}`);
  const perfect = bootstrapPaired(x, x.map((v) => v * v), spearman, { resamples: 300 });
  assert.equal(perfect!.low, 1);
  assert.equal(perfect!.high, 1);
  // With 3 points, 1 resample in 9 is constant (undefined ρ) and is dropped.
  const tiny = bootstrapPaired([1, 2, 3], [1, 4, 9], spearman, { resamples: 900 });
  assert.ok(tiny!.valid < 900 && tiny!.valid > 700, `dropped constant resamples: ${tiny!.valid}`);
  // The resampling generator is reproducible and uniform-ish.
  const g = new Prng(3);
  const draws = Array.from({ length: 10000 }, () => g.uniform());
  assert.ok(draws.every((v) => v >= 0 && v < 1));
  close(draws.reduce((s, v) => s + v, 0) / draws.length, 0.5, 0.02);
});

Deno.test("OLS slope and its t CI match a hand computation", () => {
  // slope = 6/10, intercept = 2.2, SSR = 2.4, s² = 0.8, se = √0.08, t(0.975, 3) = 3.182446.
  const fit = olsSlope([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
  close(fit.slope, 0.6, 1e-12);
  close(fit.intercept, 2.2, 1e-12);
  close(fit.standardError, Math.sqrt(0.08), 1e-12);
  assert.equal(fit.df, 3);
  close(fit.ci.low, 0.6 - 3.182446305 * Math.sqrt(0.08), 1e-8);
  close(fit.ci.high, 0.6 + 3.182446305 * Math.sqrt(0.08), 1e-8);
  close(fit.r2, 0.6, 1e-12);
  assert.throws(() => olsSlope([1, 2], [1, 2]), /at least 3 points/);
  assert.throws(() => olsSlope([2, 2, 2], [1, 2, 3]), /x is constant/);
});

Deno.test("log–log slope recovers a power law and refuses too few points", () => {
  const x = [1.1e8, 1.25e8, 3.4e8, 3.55e8];
  const exact = logLogSlope(x, x.map((v) => 3e6 * v ** -0.5));
  close(exact.fit?.slope, -0.5, 1e-12);
  close(exact.fit?.ci.low, -0.5, 1e-9);
  assert.equal(exact.note, null);
  const two = logLogSlope([1e8, 3e8], [1000, 500]);
  assert.equal(two.fit, null);
  assert.match(two.note!, /Too few points to conclude anything: 2 points/);
  const same = logLogSlope([1e8, 1e8, 1e8], [1, 2, 3]);
  assert.equal(same.fit, null);
  assert.match(same.note!, /1 distinct x/);
  const flat = logLogSlope([1, 10, 100, 1000], [5, 9, 4, 8]);
  assert.match(flat.note!, /CI includes 0/);
  assert.throws(() => logLogSlope([1, 0, 3], [1, 2, 3]), /point 1 must be positive/);
});

Deno.test("log correlation states when there are too few points", () => {
  const two = logCorrelation([10, 100], [1, 3]);
  assert.equal(two.spearman.value, null);
  assert.match(two.spearman.note!, /Too few points to conclude anything: 2 pairs/);
  assert.equal(two.pearson.value, null);
  const four = logCorrelation([10, 100, 1000, 10000], [1, 2, 4, 8]);
  close(four.spearman.value, 1, 1e-12);
  close(four.pearson.value, 1, 1e-12, "power law is linear in log–log");
  assert.equal(four.spearman.ci, null);
  assert.match(four.spearman.note!, /bootstrap CI needs at least 5/);
  const six = logCorrelation([10, 20, 40, 80, 160, 320], [3, 2, 9, 7, 30, 20], {
    resamples: 400,
    seed: 1,
  });
  assert.ok(six.spearman.ci !== null && six.pearson.ci !== null);
  assert.equal(six.spearman.ci.resamples, 400);
  close(six.spearman.value, spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])!, 1e-12);
});
