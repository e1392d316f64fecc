/**
 * Selection rules, in one place so every stage applies the same policy:
 * - best step of a run: the evaluation with the highest selection-split primary metric
 *   (ties: the earliest step);
 * - best lr of a point: among runs with status `ok`, the run whose best evaluation has the
 *   highest selection-split primary metric (ties: the smaller lr); diverged and failed runs
 *   are kept in the results but never chosen;
 * - the reported value is that evaluation's report-split primary metric.
 *
 * @module
 */
import type { EvalPoint, PointResult, RunResult } from "../results/mod.ts";

/** The evaluation policy, recorded in results and the report. */
export const EVAL_POLICY =
  "lr and best step chosen by the primary metric on the select split (held-out slice of train); " +
  "ties go to the earlier step and the smaller lr; diverged/failed runs are never chosen; the " +
  "reported value is the report split's primary metric at the chosen step";

/** The evaluation with the best selection metric (earliest on ties), or null if none. */
export function bestEval(evals: EvalPoint[], metric: string): EvalPoint | null {
  let best: EvalPoint | null = null;
  for (const e of evals) {
    const v = e.select[metric];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (
      best === null || v > best.select[metric] || (v === best.select[metric] && e.step < best.step)
    ) {
      best = e;
    }
  }
  return best;
}

/**
 * The selection-split primary metric of a run's best evaluation, or null when the run cannot be
 * chosen (not `ok`, no evaluation, or a non-finite score).
 */
export function selectScore(r: RunResult): number | null {
  if (r.status !== "ok" || r.best === null) return null;
  const v = r.best.select[r.metric];
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/** The run chosen by the lr search, or null when no run finished with an evaluation. */
export function bestRun(runs: RunResult[]): RunResult | null {
  let best: RunResult | null = null;
  let bestScore = -Infinity;
  for (const r of runs) {
    const v = selectScore(r);
    if (v === null) continue;
    if (best === null || v > bestScore || (v === bestScore && r.lr < best.lr)) {
      best = r;
      bestScore = v;
    }
  }
  return best;
}

/** Builds a point (one (method, size, seed) after the lr search) from its runs. */
export function pointFromRuns(runs: RunResult[]): PointResult {
  if (runs.length === 0) throw new Error("a point needs at least one run");
  const first = runs[0];
  for (const r of runs) {
    for (const k of ["model", "task", "method", "size", "seed", "metric"] as const) {
      if (r[k] !== first[k]) {
        throw new Error(
          `runs of one point disagree on ${k}: ${JSON.stringify(first[k])} vs ${
            JSON.stringify(r[k])
          }`,
        );
      }
    }
  }
  const best = bestRun(runs);
  const sorted = [...runs].sort((a, b) => a.lr - b.lr);
  return {
    model: first.model,
    task: first.task,
    method: first.method,
    size: first.size,
    seed: first.seed,
    metric: first.metric,
    value: best ? best.best!.report[best.metric] ?? null : null,
    bestLr: best ? best.lr : null,
    selectValue: best ? best.best!.select[best.metric] ?? null : null,
    policy: EVAL_POLICY,
    runs: sorted,
  };
}
