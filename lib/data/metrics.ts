/**
 * Classification metrics and which ones each task reports.
 *
 * @module
 */
import type { MetricName } from "./schema.ts";

function check(pred: ArrayLike<number>, gold: ArrayLike<number>): void {
  if (pred.length !== gold.length) {
    throw new Error(`metrics: ${pred.length} predictions for ${gold.length} labels`);
  }
  if (gold.length === 0) throw new Error("metrics: no examples");
}

/** Fraction of predictions equal to the label. */
export function accuracy(pred: ArrayLike<number>, gold: ArrayLike<number>): number {
  check(pred, gold);
  let ok = 0;
  for (let i = 0; i < gold.length; i++) if (pred[i] === gold[i]) ok++;
  return ok / gold.length;
}

/** Binary F1 of class `positive` (default 1), as scikit-learn's `f1_score` (0 when undefined). */
export function f1(pred: ArrayLike<number>, gold: ArrayLike<number>, positive = 1): number {
  check(pred, gold);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < gold.length; i++) {
    const p = pred[i] === positive, g = gold[i] === positive;
    if (p && g) tp++;
    else if (p) fp++;
    else if (g) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Matthews correlation coefficient, multiclass (Gorodkin's R_K), 0 when undefined. */
export function matthews(pred: ArrayLike<number>, gold: ArrayLike<number>): number {
  check(pred, gold);
  const classes = new Map<number, number>();
  const idx = (c: number) => {
    if (!classes.has(c)) classes.set(c, classes.size);
    return classes.get(c)!;
  };
  for (let i = 0; i < gold.length; i++) {
    idx(gold[i]);
    idx(pred[i]);
  }
  const k = classes.size;
  const t = new Float64Array(k), p = new Float64Array(k);
  let c = 0;
  for (let i = 0; i < gold.length; i++) {
    t[idx(gold[i])]++;
    p[idx(pred[i])]++;
    if (pred[i] === gold[i]) c++;
  }
  const s = gold.length;
  let tp = 0, pp = 0, tt = 0;
  for (let j = 0; j < k; j++) {
    tp += t[j] * p[j];
    pp += p[j] * p[j];
    tt += t[j] * t[j];
  }
  const den = Math.sqrt((s * s - pp) * (s * s - tt));
  return den === 0 ? 0 : (c * s - tp) / den;
}

/** Computes the named metrics. */
export function computeMetrics(
  names: readonly MetricName[],
  pred: ArrayLike<number>,
  gold: ArrayLike<number>,
): Record<MetricName, number> {
  const out = {} as Record<MetricName, number>;
  for (const n of names) {
    out[n] = n === "accuracy"
      ? accuracy(pred, gold)
      : n === "f1"
      ? f1(pred, gold)
      : matthews(pred, gold);
  }
  return out;
}

/** Argmax over rows of a [n, k] row-major logits array. */
export function argmaxRows(logits: ArrayLike<number>, k: number): Int32Array {
  const n = logits.length / k;
  if (!Number.isInteger(n)) throw new Error(`argmaxRows: ${logits.length} values is not n × ${k}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}
