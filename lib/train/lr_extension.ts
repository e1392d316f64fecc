/**
 * The lr search's edge extension: starting from the grid's runs, while the best lr (the
 * selection rule of `select.ts`) is the lowest lr tried and an extension lr remains below, run
 * the next one below; likewise above. Every point records the lrs tried, the lrs added, and
 * `lrEdge`: whether the final best still sits at the lowest (`low`) or highest (`high`) lr tried
 * — the extension's bound was hit, or there was none. A point whose every run failed is
 * extended downwards (divergence usually means the lr is too high) and has no `lrEdge`.
 *
 * An edge counts only when its lr is the strict best: when another lr ties with it on the
 * selection metric, the best is a plateau, not an edge, and `lrEdge` is null. When every run
 * ties (typically every lr stayed at the majority class, so none learned anything), the scores
 * give no direction: too high an lr collapses a run, too low a one has not moved it yet. The
 * search then tries the next lr beyond each end, low first, and goes on from whichever learns.
 *
 * @module
 */
import type { PointResult, RunResult } from "../results/mod.ts";
import { bestRun, pointFromRuns, selectScore } from "./select.ts";

/** A point after the search with its extension fields. */
export type ExtendedPoint = PointResult & {
  lrs: number[];
  extended: number[];
  lrEdge: "low" | "high" | null;
};

/**
 * Runs the extension. `extension.low` / `.high`: the extension lrs nearest first; `obtain`
 * returns the run of the i-th one on a side.
 */
export async function extendLrSearch(
  gridRuns: RunResult[],
  extension: { low: number[]; high: number[] },
  obtain: (side: "low" | "high", i: number) => Promise<RunResult>,
): Promise<ExtendedPoint> {
  const runs = [...gridRuns];
  const extended: number[] = [];
  const used = { low: 0, high: 0 };
  const next = async (side: "low" | "high") => {
    const r = await obtain(side, used[side]);
    used[side]++;
    runs.push(r);
    extended.push(r.lr);
  };
  for (;;) {
    const canLow = used.low < extension.low.length;
    const canHigh = used.high < extension.high.length;
    if (bestRun(runs) === null) {
      if (canLow) await next("low");
      else break;
      continue;
    }
    if (allTied(runs)) {
      if (canLow && (used.low === 0 || used.high > 0 || !canHigh)) await next("low");
      else if (canHigh) await next("high");
      else break;
      continue;
    }
    const edge = strictEdge(runs);
    if (edge === "low" && canLow) await next("low");
    else if (edge === "high" && canHigh) await next("high");
    else break;
  }
  const point = pointFromRuns(runs);
  const lrs = point.runs.map((r) => r.lr);
  const lrEdge = point.bestLr === null ? null : strictEdge(runs);
  return { ...point, lrs, extended: extended.sort((a, b) => a - b), lrEdge };
}

/** Whether two or more runs were scored and every scored run has the same score. */
function allTied(runs: RunResult[]): boolean {
  const scores = runs.map(selectScore).filter((v): v is number => v !== null);
  return scores.length >= 2 && scores.every((v) => v === scores[0]);
}

/**
 * `low` (`high`) when the best run's lr is the lowest (highest) tried and no other run ties
 * with its selection score; null otherwise.
 */
function strictEdge(runs: RunResult[]): "low" | "high" | null {
  const best = bestRun(runs);
  if (best === null) return null;
  const top = selectScore(best);
  if (runs.some((r) => r !== best && selectScore(r) === top)) return null;
  const lrs = runs.map((r) => r.lr);
  if (best.lr === Math.min(...lrs)) return "low";
  if (best.lr === Math.max(...lrs)) return "high";
  return null;
}
