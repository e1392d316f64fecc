/**
 * The statistics the report states: Pearson and Spearman correlation, percentile bootstrap
 * confidence intervals (seeded), and the ordinary-least-squares slope of log y on log x with
 * a t-based confidence interval. Every function refuses to conclude from too few points and
 * says why, rather than printing a number that means nothing.
 *
 * @module
 */
import { Prng } from "../random/mod.ts";
import { tQuantile } from "./student_t.ts";

/** Fewest (x, y) pairs for which a correlation is reported at all. */
export const MIN_CORRELATION_POINTS = 3;
/** Fewest pairs for which a bootstrap confidence interval of a correlation is reported. */
export const MIN_BOOTSTRAP_POINTS = 5;
/** Fewest points for which a slope is reported (it then has a t-based CI with n − 2 df). */
export const MIN_SLOPE_POINTS = 3;

/** Arithmetic mean; NaN for an empty list. */
export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

function checkPairs(name: string, x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) {
    throw new Error(`${name}: x and y must have the same length, got ${x.length} and ${y.length}`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      throw new Error(`${name}: point ${i} is not finite: (${x[i]}, ${y[i]})`);
    }
  }
}

/**
 * Pearson's correlation coefficient of x and y. Null when it is undefined: fewer than two
 * points, or x or y constant.
 */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  checkPairs("pearson", x, y);
  const n = x.length;
  if (n < 2) return null;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Relative guard: a "constant" list can leave rounding noise in the sums of squares.
  const scale = (v: readonly number[]) => Math.max(...v.map(Math.abs), 1e-300);
  if (sxx <= 1e-24 * n * scale(x) ** 2 || syy <= 1e-24 * n * scale(y) ** 2) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** 1-based ranks of the values; tied values share the average of the ranks they span. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k][1]] = rank;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation (Pearson on average ranks, so ties are handled). */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  checkPairs("spearman", x, y);
  return pearson(ranks(x), ranks(y));
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of an ascending-sorted list, interpolating linearly between
 * order statistics (Hyndman & Fan type 7, the default of R and NumPy).
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantileSorted: empty list");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantileSorted: q must be in [0, 1], got ${q}`);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Options of a bootstrap. */
export interface BootstrapOptions {
  /** Number of resamples (default 2000). */
  resamples?: number;
  /** Seed of the resampling generator (default 1). */
  seed?: number;
  /** Two-sided confidence level (default 0.95). */
  confidence?: number;
}

/** A percentile bootstrap confidence interval. */
export interface BootstrapInterval {
  low: number;
  high: number;
  confidence: number;
  /** Resamples drawn. */
  resamples: number;
  /** Resamples where the statistic was defined (e.g. x not constant); the CI uses these. */
  valid: number;
  seed: number;
}

/**
 * Percentile bootstrap CI of a paired statistic: resample the (x, y) pairs with replacement,
 * recompute the statistic, take the (1 − c)/2 and (1 + c)/2 quantiles. Resamples where the
 * statistic is undefined (null) are dropped; the result is null when fewer than half are
 * defined.
 */
export function bootstrapPaired(
  x: readonly number[],
  y: readonly number[],
  statistic: (x: number[], y: number[]) => number | null,
  options: BootstrapOptions = {},
): BootstrapInterval | null {
  checkPairs("bootstrapPaired", x, y);
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 1;
  const confidence = options.confidence ?? 0.95;
  if (!(Number.isInteger(resamples) && resamples >= 1)) {
    throw new RangeError(`bootstrapPaired: resamples must be a positive integer, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`bootstrapPaired: confidence must be in (0, 1), got ${confidence}`);
  }
  const n = x.length;
  if (n === 0) return null;
  if (!Number.isFinite(seed)) {
    throw new RangeError(`bootstrapPaired: seed must be a finite number, got ${seed}`);
  }
  const prng = new Prng(Math.trunc(seed));
  const values: number[] = [];
  const bx = new Array<number>(n);
  const by = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const k = prng.int(n);
      bx[i] = x[k];
      by[i] = y[k];
    }
    const v = statistic(bx, by);
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  if (values.length < resamples / 2) return null;
  values.sort((a, b) => a - b);
  const alpha = (1 - confidence) / 2;
  return {
    low: quantileSorted(values, alpha),
    high: quantileSorted(values, 1 - alpha),
    confidence,
    resamples,
    valid: values.length,
    seed,
  };
}

/** A correlation with its bootstrap CI, or the reason it is not reported. */
export interface CorrelationEstimate {
  n: number;
  /** Null when not reported (see `note`). */
  value: number | null;
  ci: BootstrapInterval | null;
  /** Plain-language statement when the number cannot carry a conclusion; null otherwise. */
  note: string | null;
}

/** Spearman and Pearson correlation of log x and log y (positive values), with bootstrap CIs. */
export interface LogCorrelation {
  n: number;
  spearman: CorrelationEstimate;
  pearson: CorrelationEstimate;
}

function estimate(
  name: string,
  x: number[],
  y: number[],
  fn: (x: number[], y: number[]) => number | null,
  options: BootstrapOptions,
): CorrelationEstimate {
  const n = x.length;
  if (n < MIN_CORRELATION_POINTS) {
    return {
      n,
      value: null,
      ci: null,
      note: `Too few points to conclude anything: ${n} pair${n === 1 ? "" : "s"} ` +
        `(a correlation needs at least ${MIN_CORRELATION_POINTS}); ${name} not reported.`,
    };
  }
  const value = fn(x, y);
  if (value === null) {
    return {
      n,
      value: null,
      ci: null,
      note: `${name} is undefined: one of the variables is constant over the ${n} points.`,
    };
  }
  if (n < MIN_BOOTSTRAP_POINTS) {
    return {
      n,
      value,
      ci: null,
      note: `Too few points to conclude anything: n = ${n} (a bootstrap CI needs at least ` +
        `${MIN_BOOTSTRAP_POINTS}); the estimate is shown without an interval.`,
    };
  }
  const ci = bootstrapPaired(x, y, fn, options);
  let note: string | null = null;
  if (ci === null) {
    note = `No bootstrap CI: most resamples of the ${n} points had a constant variable.`;
  } else if (ci.low <= 0 && ci.high >= 0) {
    note = `The ${Math.round(ci.confidence * 100)}% CI includes 0: ` +
      `no evidence of a relation at n = ${n}.`;
  }
  return { n, value, ci, note };
}

/**
 * Spearman and Pearson correlation of log x vs log y with percentile bootstrap CIs (both use
 * the same seed, so the same resamples). Values must be positive.
 */
export function logCorrelation(
  x: readonly number[],
  y: readonly number[],
  options: BootstrapOptions = {},
): LogCorrelation {
  checkPairs("logCorrelation", x, y);
  const lx = x.map((v, i) => positiveLog("logCorrelation", v, i));
  const ly = y.map((v, i) => positiveLog("logCorrelation", v, i));
  return {
    n: x.length,
    spearman: estimate("Spearman's ρ", lx, ly, spearman, options),
    pearson: estimate("Pearson's r", lx, ly, pearson, options),
  };
}

function positiveLog(name: string, v: number, i: number): number {
  if (!(v > 0)) {
    throw new RangeError(`${name}: point ${i} must be positive for a log scale, got ${v}`);
  }
  return Math.log10(v);
}

/** An ordinary-least-squares line y = intercept + slope · x with a t-based CI of the slope. */
export interface SlopeFit {
  n: number;
  slope: number;
  intercept: number;
  /** Standard error of the slope (0 for a perfect fit). */
  standardError: number;
  /** Residual degrees of freedom, n − 2. */
  df: number;
  confidence: number;
  ci: { low: number; high: number };
  /** Coefficient of determination. */
  r2: number;
}

/**
 * OLS fit of y on x with a two-sided t confidence interval (n − 2 degrees of freedom) for
 * the slope. Needs at least 3 points and x not constant.
 */
export function olsSlope(
  x: readonly number[],
  y: readonly number[],
  confidence = 0.95,
): SlopeFit {
  checkPairs("olsSlope", x, y);
  const n = x.length;
  if (n < MIN_SLOPE_POINTS) {
    throw new Error(`olsSlope: needs at least ${MIN_SLOPE_POINTS} points for a CI, got ${n}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`olsSlope: confidence must be in (0, 1), got ${confidence}`);
  }
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  if (sxx === 0) throw new Error("olsSlope: x is constant; the slope is undefined");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (y[i] - intercept - slope * x[i]) ** 2;
  const df = n - 2;
  const standardError = Math.sqrt(ssr / df / sxx);
  const t = tQuantile(1 - (1 - confidence) / 2, df);
  return {
    n,
    slope,
    intercept,
    standardError,
    df,
    confidence,
    ci: { low: slope - t * standardError, high: slope + t * standardError },
    r2: syy === 0 ? 1 : 1 - ssr / syy,
  };
}

/** A log–log slope, or the reason it is not reported. */
export interface LogLogSlope {
  n: number;
  /** Fit of log10 y on log10 x; null when not reported (see `note`). */
  fit: SlopeFit | null;
  /** Plain-language statement when the fit cannot carry a conclusion; null otherwise. */
  note: string | null;
}

/**
 * Slope of log10 y on log10 x (the exponent b of y ∝ x^b) with a t-based CI, or an explicit
 * statement when there are too few points (fewer than 3, or fewer than 2 distinct x).
 */
export function logLogSlope(
  x: readonly number[],
  y: readonly number[],
  confidence = 0.95,
): LogLogSlope {
  checkPairs("logLogSlope", x, y);
  const n = x.length;
  const distinct = new Set(x).size;
  if (n < MIN_SLOPE_POINTS || distinct < 2) {
    return {
      n,
      fit: null,
      note: `Too few points to conclude anything: ${n} point${n === 1 ? "" : "s"}` +
        (distinct < 2 && n >= MIN_SLOPE_POINTS ? ` at ${distinct} distinct x` : "") +
        ` (a slope with a CI needs at least ${MIN_SLOPE_POINTS} points at 2 or more distinct x);` +
        " no slope reported.",
    };
  }
  const lx = x.map((v, i) => positiveLog("logLogSlope", v, i));
  const ly = y.map((v, i) => positiveLog("logLogSlope", v, i));
  const fit = olsSlope(lx, ly, confidence);
  const note = fit.ci.low <= 0 && fit.ci.high >= 0
    ? `The ${Math.round(confidence * 100)}% CI includes 0: no evidence of a trend at n = ${n}.`
    : null;
  return { n, fit, note };
}
