/**
 * The analysis behind the report's two questions, computed from threshold results:
 *
 * 1. Does d90 track r90 across tasks? Pairs (d90 of DID or SAID, r90 of LoRA) of the same
 *    model variant and task; Spearman and Pearson correlation of log d90 vs log r90 with
 *    bootstrap CIs, per subspace method, pooled over all variants and per variant.
 * 2. Does r90 (and d90) fall with model size? Per task and method, the log–log slope of the
 *    threshold against the model's parameter count, over distinct models.
 *
 * A threshold that never reached the target is left out of both and listed as excluded.
 *
 * @module
 */
import type { ThresholdResult } from "../results/mod.ts";
import {
  type BootstrapOptions,
  type LogCorrelation,
  logCorrelation,
  type LogLogSlope,
  logLogSlope,
} from "./stats.ts";

/** Which threshold number the statistics use: the grid value or the interpolated crossing. */
export type ThresholdStatistic = "value" | "interpolated";

/** Options of the analysis. */
export interface AnalysisOptions {
  statistic: ThresholdStatistic;
  bootstrap: Required<BootstrapOptions>;
}

/** A model variant: the model and, where the pipeline pretrained it, its pretraining steps. */
export function variantLabel(model: string, pretrainSteps: number | undefined): string {
  return pretrainSteps === undefined ? model : `${model} (${pretrainSteps} pretraining steps)`;
}

/** The number of a threshold that the analysis uses, or null if the target was not reached. */
export function thresholdNumber(t: ThresholdResult, statistic: ThresholdStatistic): number | null {
  return statistic === "value" ? t.value : t.interpolated;
}

/**
 * The 95% interval of the threshold number (null ends: "> grid max"): the t band's (`band`),
 * or for records before it the bootstrap's (`ci`).
 */
export function thresholdInterval(
  t: ThresholdResult,
  statistic: ThresholdStatistic,
): { low: number | null; high: number | null } | null {
  const ci = t.band ?? t.ci;
  if (ci === undefined || ci === null) return null;
  return statistic === "value" ? ci.value : ci.interpolated;
}

/** Where the (seed-mean) curve crosses; older records: every seed's kind, if they agree. */
export function crossingOf(t: ThresholdResult): "interior" | "first-point" | "not-reached" {
  if (t.crossing !== undefined) return t.crossing;
  if (t.value === null) return "not-reached";
  const kinds = new Set(t.perSeed.map((s) => s.crossing));
  return kinds.size === 1 && kinds.has("first-point") ? "first-point" : "interior";
}

/** The largest size a threshold's sweep tried. */
export function gridMax(t: ThresholdResult): number {
  return Math.max(0, ...t.points.map((p) => p.size));
}

/** A (d90, r90) pair of one model variant and task. */
export interface ThresholdPair {
  model: string;
  pretrainSteps?: number;
  variant: string;
  task: string;
  /** DID or SAID. */
  method: "did" | "said";
  d90: number;
  r90: number;
  /** Bootstrap intervals over seeds (null end: beyond the grid's largest size). */
  d90Low: number | null;
  d90High: number | null;
  r90Low: number | null;
  r90High: number | null;
  d90GridMax: number;
  r90GridMax: number;
}

/** The d90–r90 correlation of one group of pairs. */
export interface PairCorrelation {
  method: "did" | "said";
  /** The variant the group is restricted to, or null for all variants pooled. */
  variant: string | null;
  pairs: ThresholdPair[];
  /** Why some (model, task) of the group have no pair. */
  excluded: string[];
  result: LogCorrelation;
}

/** One point of a scaling fit: a model's threshold against its parameter count. */
export interface ScalingPoint {
  model: string;
  pretrainSteps?: number;
  params: number;
  value: number;
}

/** The log–log slope of a threshold against parameter count, for one task and method. */
export interface ScalingFit {
  task: string;
  method: "did" | "said" | "lora";
  points: ScalingPoint[];
  excluded: string[];
  result: LogLogSlope;
}

/** Everything the report states about the two questions. */
export interface Analysis {
  statistic: ThresholdStatistic;
  confidence: number;
  correlations: PairCorrelation[];
  scaling: ScalingFit[];
  /** Tasks measured on a single model: no size scaling to fit. */
  singleModelTasks: string[];
}

const METHOD_NAME = { did: "DID", said: "SAID", lora: "LoRA" } as const;

/** Display name of a method. */
export function methodName(method: "full" | "did" | "said" | "lora"): string {
  return method === "full" ? "full fine-tuning" : METHOD_NAME[method];
}

/**
 * The model a threshold belongs to, its pretraining checkpoints counted as one: `tiny-bert@300`
 * and `tiny-bert@1500` are one model of one size (their effect is the pretraining chart's).
 */
export function baseModel(t: ThresholdResult): string {
  return t.pretrainSteps !== undefined ? t.model.replace(/@\d+$/, "") : t.model;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** Computes the d90–r90 correlations and the parameter-count slopes. */
export function analyze(thresholds: ThresholdResult[], options: AnalysisOptions): Analysis {
  const { statistic, bootstrap } = options;
  const num = (t: ThresholdResult) => thresholdNumber(t, statistic);
  const symbol = (m: string) => (m === "lora" ? "r90" : "d90");
  const reason = (t: ThresholdResult) =>
    `${variantLabel(t.model, t.pretrainSteps)} / ${t.task}: ${methodName(t.method)} ` +
    `${symbol(t.method)} not reached (target ${t.target})`;
  const notInterior = (t: ThresholdResult) =>
    `${variantLabel(t.model, t.pretrainSteps)} / ${t.task}: ${methodName(t.method)} ` +
    `${symbol(t.method)} reached at the grid's first size (an upper bound, not a crossing)`;

  const correlations: PairCorrelation[] = [];
  for (const method of ["did", "said"] as const) {
    const subspace = thresholds.filter((t) => t.method === method);
    if (subspace.length === 0) continue;
    const pairs: ThresholdPair[] = [];
    const excluded: { variant: string; text: string }[] = [];
    for (const d of subspace) {
      const variant = variantLabel(d.model, d.pretrainSteps);
      const r = thresholds.find((t) =>
        t.method === "lora" && t.model === d.model && t.task === d.task &&
        t.pretrainSteps === d.pretrainSteps
      );
      if (r === undefined) {
        excluded.push({ variant, text: `${variant} / ${d.task}: no LoRA result` });
        continue;
      }
      const dv = num(d);
      const rv = num(r);
      // Only interior crossings: a first-point value is an upper bound, not a measurement.
      for (const t of [d, r]) {
        if (num(t) === null) excluded.push({ variant, text: reason(t) });
        else if (crossingOf(t) === "first-point") excluded.push({ variant, text: notInterior(t) });
      }
      if (dv === null || rv === null) continue;
      if (crossingOf(d) !== "interior" || crossingOf(r) !== "interior") continue;
      const di = thresholdInterval(d, statistic);
      const ri = thresholdInterval(r, statistic);
      pairs.push({
        model: d.model,
        ...(d.pretrainSteps === undefined ? {} : { pretrainSteps: d.pretrainSteps }),
        variant,
        task: d.task,
        method,
        d90: dv,
        r90: rv,
        d90Low: di?.low ?? null,
        d90High: di?.high ?? null,
        r90Low: ri?.low ?? null,
        r90High: ri?.high ?? null,
        d90GridMax: gridMax(d),
        r90GridMax: gridMax(r),
      });
    }
    const group = (variant: string | null): PairCorrelation => {
      const own = pairs.filter((p) => variant === null || p.variant === variant);
      return {
        method,
        variant,
        pairs: own,
        excluded: excluded.filter((e) => variant === null || e.variant === variant).map((e) =>
          e.text
        ),
        result: logCorrelation(own.map((p) => p.r90), own.map((p) => p.d90), bootstrap),
      };
    };
    correlations.push(group(null));
    const variants = unique(subspace.map((t) => variantLabel(t.model, t.pretrainSteps)));
    // Per variant only where it was measured on more than one task (else it repeats "pooled").
    for (const v of variants) {
      const tasks = unique(
        subspace.filter((t) => variantLabel(t.model, t.pretrainSteps) === v).map((t) => t.task),
      );
      if (tasks.length > 1 && variants.length > 1) correlations.push(group(v));
    }
  }

  const scaling: ScalingFit[] = [];
  const tasks = unique(thresholds.map((t) => t.task));
  const singleModelTasks: string[] = [];
  for (const task of tasks) {
    if (unique(thresholds.filter((t) => t.task === task).map(baseModel)).length < 2) {
      singleModelTasks.push(task);
      continue;
    }
    for (const method of ["did", "said", "lora"] as const) {
      const own = thresholds.filter((t) => t.task === task && t.method === method);
      if (own.length === 0) continue;
      // One point per model: its most-pretrained variant (pretraining-step sweeps are a
      // separate question, plotted against steps).
      const byModel = new Map<string, ThresholdResult>();
      for (const t of own) {
        const prev = byModel.get(baseModel(t));
        if (
          prev === undefined || (t.pretrainSteps ?? Infinity) > (prev.pretrainSteps ?? Infinity)
        ) {
          byModel.set(baseModel(t), t);
        }
      }
      const points: ScalingPoint[] = [];
      const excluded: string[] = [];
      for (const t of byModel.values()) {
        const v = num(t);
        if (v === null) excluded.push(reason(t));
        else {
          points.push({
            model: t.model,
            ...(t.pretrainSteps === undefined ? {} : { pretrainSteps: t.pretrainSteps }),
            params: t.modelParams,
            value: v,
          });
        }
      }
      points.sort((a, b) => a.params - b.params);
      scaling.push({
        task,
        method,
        points,
        excluded,
        result: logLogSlope(
          points.map((p) => p.params),
          points.map((p) => p.value),
          bootstrap.confidence,
        ),
      });
    }
  }
  return { statistic, confidence: bootstrap.confidence, correlations, scaling, singleModelTasks };
}
