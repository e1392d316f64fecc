/**
 * Plain-text formatting of numbers and statistics, shared by the charts' subtitles, the HTML
 * page and the Markdown summary, so that every place states a result the same way.
 *
 * @module
 */
import type { CorrelationEstimate, LogCorrelation, LogLogSlope } from "./stats.ts";

/** A number to `digits` significant digits, integers below 1e6 as they are. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return "—";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

/** A parameter count with an SI suffix: `125M`, `1.2M`, `3.4B`. */
export function paramCount(v: number): string {
  const units: [number, string][] = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
  for (const [scale, suffix] of units) {
    if (Math.abs(v) >= scale) return `${Number((v / scale).toPrecision(3))}${suffix}`;
  }
  return String(v);
}

/** A value with a fixed number of decimals, or "—". */
export function fixed(v: number | null | undefined, decimals = 2): string {
  return v === null || v === undefined ? "—" : v.toFixed(decimals).replace(/^-/, "−");
}

/** `0.94 [0.76, 1.00]`, or the estimate alone, or "not reported". */
export function estimateText(e: CorrelationEstimate): string {
  if (e.value === null) return "not reported";
  const v = fixed(e.value);
  return e.ci === null ? v : `${v} [${fixed(e.ci.low)}, ${fixed(e.ci.high)}]`;
}

/** One line stating a log–log correlation: Spearman and Pearson with their CIs. */
export function correlationText(c: LogCorrelation): string {
  if (c.spearman.value === null && c.pearson.value === null) {
    return c.spearman.note ?? "not reported";
  }
  return `Spearman ρ = ${estimateText(c.spearman)}, Pearson r (log–log) = ${
    estimateText(c.pearson)
  } (n = ${c.n})`;
}

/** One line stating a log–log slope with its CI, or why there is none. */
export function slopeText(s: LogLogSlope): string {
  if (s.fit === null) return s.note ?? "not reported";
  const pct = Math.round(s.fit.confidence * 100);
  return `slope ${fixed(s.fit.slope)} [${fixed(s.fit.ci.low)}, ${fixed(s.fit.ci.high)}] ` +
    `(${pct}% t-CI, n = ${s.n}, R² = ${fixed(s.fit.r2)})`;
}

/** The distinct notes of a correlation (Spearman's and Pearson's may coincide). */
export function correlationNotes(c: LogCorrelation): string[] {
  return [...new Set([c.spearman.note, c.pearson.note].filter((n): n is string => n !== null))];
}
