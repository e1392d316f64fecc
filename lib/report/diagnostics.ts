/**
 * What a reviewer checks before believing the numbers: points whose chosen lr still sits at the
 * edge of the lrs tried, significant falls of the seed-mean curves (rule in
 * lib/threshold/seed_stats.ts), intervals of d90/r90 in words, and — where a study holds both
 * the grid and the adaptive search of one sweep — whether they agree.
 *
 * @module
 */
import type { PointResult, ThresholdResult } from "../results/mod.ts";
import {
  crossingOf,
  gridMax,
  methodName,
  thresholdInterval,
  thresholdNumber,
  type ThresholdStatistic,
  variantLabel,
} from "./analysis.ts";
import { fmt } from "./format.ts";

/** A threshold's name in prose: `tiny (1500 pretraining steps) / spam / DID d90`. */
export function curveName(t: ThresholdResult): string {
  return `${variantLabel(t.model, t.pretrainSteps)} / ${t.task} / ${methodName(t.method)} ${
    t.method === "lora" ? "r90" : "d90"
  }`;
}

/** `256 [128, 512]`, `≤ 16`, `not reached (> 4,096)`, with "> max" for an open interval end. */
export function thresholdText(t: ThresholdResult, statistic: ThresholdStatistic): string {
  const v = thresholdNumber(t, statistic);
  const max = gridMax(t);
  if (v === null) return `not reached (> ${fmt(max)})`;
  const kind = crossingOf(t);
  const point = kind === "first-point" ? `≤ ${fmt(v)}` : fmt(v);
  const ci = thresholdInterval(t, statistic);
  if (ci === null) return point;
  const end = (x: number | null) => (x === null ? `> ${fmt(max)}` : fmt(x));
  return `${point} [${end(ci.low)}, ${end(ci.high)}]`;
}

/** One point whose best lr is still the lowest or highest lr tried. */
export interface LrEdgeRow {
  model: string;
  task: string;
  method: string;
  size: string;
  seed: string;
  "best lr": string;
  edge: string;
  "lrs tried": string;
  "added by extension": string;
}

/** Every point whose chosen lr sits at an edge of the lrs tried (`lrEdge` not null). */
export function lrEdgeRows(points: PointResult[]): LrEdgeRow[] {
  return points.filter((p) => p.lrEdge === "low" || p.lrEdge === "high").map((p) => ({
    model: p.model,
    task: p.task,
    method: methodName(p.method),
    size: p.size === null ? "—" : String(p.size),
    seed: String(p.seed),
    "best lr": fmt(p.bestLr),
    edge: p.lrEdge === "low" ? "lowest tried" : "highest tried",
    "lrs tried": (p.lrs ?? p.runs.map((r) => r.lr)).map((x) => fmt(x)).join(", "),
    "added by extension": (p.extended ?? []).map((x) => fmt(x)).join(", ") || "none",
  }));
}

/** One line on the lr edges, for the page and summary.md. */
export function lrEdgeSummary(points: PointResult[]): string {
  const withSearch = points.filter((p) => p.lrEdge !== undefined);
  const edge = lrEdgeRows(points).length;
  const extended = points.filter((p) => (p.extended ?? []).length > 0).length;
  if (withSearch.length === 0) {
    return "These results do not record whether the chosen lr sat at the edge of its grid.";
  }
  return `${edge} of ${withSearch.length} points still have their best lr at the lowest or ` +
    `highest lr tried (after the edge extension, which added lrs to ${extended} points)` +
    (edge > 0 ? "; they are listed below and marked in the charts' tooltips." : ".");
}

/** Per curve with significant falls, and in total: how many falls the seed-mean curves have. */
export function fallLines(thresholds: ThresholdResult[]): string[] {
  const recorded = thresholds.filter((t) => t.falls !== undefined);
  if (recorded.length === 0) return ["These results do not record the curves' falls."];
  // A fall is judged on intervals, which need at least two seeds at two sizes of a curve.
  const tested = recorded.filter((t) => (t.curve ?? []).filter((c) => c.n >= 2).length >= 2);
  if (tested.length === 0) {
    return [
      `Not tested: no curve has two or more seeds at two or more sizes (intervals need ≥ 2 ` +
      `seeds), so a fall cannot be told from noise; run more seeds (\`seeds\`) to check it.`,
    ];
  }
  const lines: string[] = [];
  let total = 0;
  for (const t of tested) {
    const falls = t.falls!;
    total += falls.length;
    if (falls.length === 0) continue;
    const list = falls.map((f) => `${fmt(f.from)} → ${fmt(f.to)} by ${f.drop.toFixed(3)}`);
    lines.push(
      `${curveName(t)}: not monotone — ${falls.length} significant fall${
        falls.length === 1 ? "" : "s"
      } of the seed-mean (${list.join("; ")}).`,
    );
  }
  const bad = lines.length;
  lines.unshift(
    `${total} significant fall${total === 1 ? "" : "s"} in all, on ${bad} of ${tested.length} ` +
      `curves with ≥ 2 seeds${
        recorded.length > tested.length
          ? ` (${recorded.length - tested.length} curves with one seed not tested)`
          : ""
      } (rule: ${
        tested[0].fallRule ?? "later mean below an earlier one beyond both " +
            "intervals"
      }).`,
  );
  return lines;
}

/** Where both searches of one sweep exist: whether they agree and what the adaptive one saved. */
export function searchAgreementLines(
  thresholds: ThresholdResult[],
  statistic: ThresholdStatistic,
): string[] {
  const lines: string[] = [];
  for (const a of thresholds.filter((t) => t.search === "adaptive")) {
    const g = thresholds.find((t) =>
      t.search !== "adaptive" && t.model === a.model && t.task === a.task &&
      t.method === a.method && t.pretrainSteps === a.pretrainSteps
    );
    if (g === undefined) continue;
    const av = thresholdNumber(a, statistic);
    const gv = thresholdNumber(g, statistic);
    const ci = thresholdInterval(g, statistic);
    const within = av === gv ||
      (av !== null && ci !== null && (ci.low === null || av >= ci.low) &&
        (ci.high === null || av <= ci.high));
    lines.push(
      `${curveName(a)}: adaptive ${thresholdText(a, statistic)} vs grid ${
        thresholdText(g, statistic)
      } — ${within ? "agree within the grid's 95% interval" : "disagree"}; the adaptive ` +
        `search used ${a.runsUsed ?? "?"} runs and saved ${a.runsSaved}.`,
    );
  }
  return lines;
}
