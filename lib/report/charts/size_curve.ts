/**
 * The accuracy-vs-size chart shared by `accuracy_vs_d` and `accuracy_vs_r`: one panel per
 * model variant and task, the reported metric of every seed's point (lr chosen on the
 * selection split) against the size on a log axis, the mean over seeds as a line, the 90%
 * target as a horizontal rule, and d90 / r90 as a vertical dashed rule per method.
 *
 * @module
 */
import type { PointResult, ThresholdResult } from "../../results/mod.ts";
import { methodName, thresholdNumber, type ThresholdStatistic, variantLabel } from "../analysis.ts";
import { tInterval } from "../../threshold/mod.ts";
import {
  type Chart,
  type ChartName,
  CONFIG,
  facetColumns,
  methodScale,
  placeholder,
  SCHEMA,
} from "./common.ts";

/** What a size-curve chart is drawn from. */
export interface SizeCurveInput {
  points: PointResult[];
  thresholds: ThresholdResult[];
  statistic: ThresholdStatistic;
}

/** One row of the chart's inline data; `layer` says which layer draws it. */
export type SizeCurveRow =
  | {
    layer: "seed";
    panel: string;
    model: string;
    task: string;
    method: string;
    size: number;
    seed: number;
    value: number;
    bestLr: number | null;
    /** "inside", or which edge of the lrs tried the best lr still sits at. */
    lrEdge: string;
    metric: string;
  }
  | {
    layer: "mean";
    panel: string;
    method: string;
    size: number;
    value: number;
    seeds: number;
    /** 95% t-interval over seeds (null with one seed). */
    low: number | null;
    high: number | null;
  }
  | {
    layer: "target";
    panel: string;
    target: number;
    /** fraction × the baseline seeds' 95% interval (the target itself for a reference). */
    targetLow: number;
    targetHigh: number;
    baseline: number;
    baselineSource: string;
    fraction: number;
  }
  | {
    layer: "threshold";
    panel: string;
    method: string;
    threshold: number;
    gridValue: number | null;
    interpolated: number | null;
    label: string;
  }
  | { layer: "unreached"; panel: string; size: number; target: number; label: string };

function pointPretrainSteps(p: PointResult): number | undefined {
  return p.runs.find((r) => r.pretrainSteps !== undefined)?.pretrainSteps;
}

/** Panel title of a model variant and task. */
export function panelLabel(model: string, pretrainSteps: number | undefined, task: string): string {
  return `${variantLabel(model, pretrainSteps)} · ${task}`;
}

/** Builds the rows of a size-curve chart for the given methods. */
export function sizeCurveRows(
  input: SizeCurveInput,
  methods: readonly ("did" | "said" | "lora")[],
  symbol: string,
): SizeCurveRow[] {
  const rows: SizeCurveRow[] = [];
  const own = input.points.filter((p) =>
    (methods as readonly string[]).includes(p.method) && p.size !== null && p.value !== null
  );
  const panels = new Set<string>();
  for (const p of own) {
    const panel = panelLabel(p.model, pointPretrainSteps(p), p.task);
    panels.add(panel);
    rows.push({
      layer: "seed",
      panel,
      model: p.model,
      task: p.task,
      method: methodName(p.method),
      size: p.size!,
      seed: p.seed,
      value: p.value!,
      bestLr: p.bestLr,
      lrEdge: p.lrEdge === "low"
        ? "⚠ best lr is the lowest tried"
        : p.lrEdge === "high"
        ? "⚠ best lr is the highest tried"
        : p.lrEdge === null
        ? "inside the lrs tried"
        : "not recorded",
      metric: p.metric,
    });
  }
  const groups = new Map<
    string,
    { panel: string; method: string; size: number; values: number[] }
  >();
  for (const r of rows) {
    if (r.layer !== "seed") continue;
    const k = `${r.panel}\u0000${r.method}\u0000${r.size}`;
    const g = groups.get(k) ?? { panel: r.panel, method: r.method, size: r.size, values: [] };
    g.values.push(r.value);
    groups.set(k, g);
  }
  for (const g of groups.values()) {
    const t = tInterval(g.values);
    rows.push({
      layer: "mean",
      panel: g.panel,
      method: g.method,
      size: g.size,
      value: t.mean,
      seeds: g.values.length,
      low: t.low,
      high: t.high,
    });
  }
  const targets = new Set<string>();
  const unreached = new Map<string, { size: number; target: number; methods: string[] }>();
  for (const t of input.thresholds) {
    if (!(methods as readonly string[]).includes(t.method)) continue;
    const panel = panelLabel(t.model, t.pretrainSteps, t.task);
    if (!panels.has(panel)) continue;
    if (!targets.has(panel)) {
      targets.add(panel);
      rows.push({
        layer: "target",
        panel,
        target: t.target,
        targetLow: t.targetInterval?.low ?? t.target,
        targetHigh: t.targetInterval?.high ?? t.target,
        baseline: t.baseline,
        baselineSource: t.baselineSource,
        fraction: t.fraction,
      });
    }
    const v = thresholdNumber(t, input.statistic);
    if (v !== null) {
      rows.push({
        layer: "threshold",
        panel,
        method: methodName(t.method),
        threshold: v,
        gridValue: t.value,
        interpolated: t.interpolated,
        label: `${methodName(t.method)} ${symbol} = ${formatNumber(v)}`,
      });
    } else {
      const maxSize = Math.max(...t.points.map((p) => p.size), 1);
      const u = unreached.get(panel) ?? { size: maxSize, target: t.target, methods: [] };
      u.methods.push(methodName(t.method));
      u.size = Math.max(u.size, maxSize);
      unreached.set(panel, u);
    }
  }
  for (const [panel, u] of unreached) {
    rows.push({
      layer: "unreached",
      panel,
      size: u.size,
      target: u.target,
      label: `${symbol} not reached: ${u.methods.join(", ")}`,
    });
  }
  return rows;
}

/** A short human-readable number (3 significant digits, no exponent below 1e6). */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  return Number(v.toPrecision(3)).toString();
}

/** Panels in reading order: model, then pretraining steps (numerically), then task. */
function panelOrder(input: SizeCurveInput, methods: readonly string[]): string[] {
  const keys = new Map<string, [string, number, string]>();
  for (const p of input.points) {
    if (!methods.includes(p.method) || p.size === null || p.value === null) continue;
    const steps = pointPretrainSteps(p);
    keys.set(panelLabel(p.model, steps, p.task), [p.model, steps ?? -1, p.task]);
  }
  return [...keys].sort(([, a], [, b]) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] !== b[1] ? a[1] - b[1] : a[2] < b[2] ? -1 : 1
  ).map(([k]) => k);
}

/** Builds a size-curve chart (accuracy vs d, or accuracy vs r). */
export function sizeCurveChart(
  name: ChartName,
  title: string,
  input: SizeCurveInput,
  methods: readonly ("did" | "said" | "lora")[],
  symbol: string,
  xTitle: string,
): Chart {
  const rows = sizeCurveRows(input, methods, symbol);
  const panels = panelOrder(input, methods);
  if (panels.length === 0) {
    return placeholder(
      name,
      title,
      `No ${methods.map(methodName).join(" or ")} points with a value in the results.`,
    );
  }
  const metrics = [...new Set(input.points.map((p) => p.metric))];
  const yTitle = metrics.length === 1 ? metrics[0] : "primary metric";
  const only = (layer: SizeCurveRow["layer"]) => [{ filter: `datum.layer === '${layer}'` }];
  const x = {
    field: "size",
    type: "quantitative" as const,
    scale: { type: "log" as const, nice: false },
    title: xTitle,
  };
  const color = {
    field: "method",
    type: "nominal" as const,
    scale: methodScale(methods),
    title: "method",
  };
  return {
    name,
    title,
    hasData: true,
    spec: {
      $schema: SCHEMA,
      title: {
        text: title,
        subtitle: [
          `Reported-split ${yTitle} of each seed (dots), their mean (line) with a 95% ` +
          "t-interval over seeds (error bars);",
          `grey rule and band: ${
            Math.round(input.thresholds[0]?.fraction * 100 || 90)
          }% target and its 95% interval over the baseline's seeds; dashed: ${symbol}. ` +
          "Hover for details (⚠: best lr at the edge of the lrs tried).",
        ],
      },
      config: CONFIG,
      data: { values: rows },
      facet: { field: "panel", type: "nominal", title: null, sort: panels },
      columns: facetColumns(panels.length),
      resolve: { scale: { y: "independent" } },
      spec: {
        width: 210,
        height: 150,
        layer: [
          {
            transform: only("target"),
            mark: { type: "rect", color: "#999", opacity: 0.18 },
            encoding: {
              y: { field: "targetLow", type: "quantitative" },
              y2: { field: "targetHigh" },
            },
          },
          {
            transform: [...only("mean"), { filter: "datum.low !== null" }],
            mark: { type: "errorbar", ticks: true },
            encoding: {
              x,
              y: { field: "low", type: "quantitative", scale: { zero: false }, title: yTitle },
              y2: { field: "high" },
              color,
              tooltip: [
                { field: "method", type: "nominal" },
                { field: "size", type: "quantitative", title: symbol.slice(0, 1) },
                { field: "value", type: "quantitative", title: "seed-mean", format: ".4f" },
                { field: "low", type: "quantitative", title: "95% low", format: ".4f" },
                { field: "high", type: "quantitative", title: "95% high", format: ".4f" },
                { field: "seeds", type: "quantitative" },
              ],
            },
          },
          {
            transform: only("mean"),
            mark: { type: "line", strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: "value", type: "quantitative", scale: { zero: false }, title: yTitle },
              color,
            },
          },
          {
            transform: only("seed"),
            mark: { type: "point", filled: true, size: 30, opacity: 0.8 },
            encoding: {
              x,
              y: { field: "value", type: "quantitative", scale: { zero: false }, title: yTitle },
              color,
              tooltip: [
                { field: "model", type: "nominal" },
                { field: "task", type: "nominal" },
                { field: "method", type: "nominal" },
                { field: "size", type: "quantitative", title: symbol.slice(0, 1) },
                { field: "seed", type: "quantitative" },
                { field: "value", type: "quantitative", title: yTitle, format: ".4f" },
                { field: "bestLr", type: "quantitative", title: "chosen lr", format: ".1e" },
                { field: "lrEdge", type: "nominal", title: "lr edge" },
              ],
            },
          },
          {
            transform: only("target"),
            mark: { type: "rule", color: "#555", strokeWidth: 1.5 },
            encoding: {
              y: { field: "target", type: "quantitative" },
              tooltip: [
                { field: "target", type: "quantitative", format: ".4f" },
                {
                  field: "targetLow",
                  type: "quantitative",
                  title: "target 95% low",
                  format: ".4f",
                },
                {
                  field: "targetHigh",
                  type: "quantitative",
                  title: "target 95% high",
                  format: ".4f",
                },
                {
                  field: "baseline",
                  type: "quantitative",
                  title: "full fine-tuning",
                  format: ".4f",
                },
                { field: "baselineSource", type: "nominal", title: "baseline source" },
                { field: "fraction", type: "quantitative" },
              ],
            },
          },
          {
            transform: only("threshold"),
            mark: { type: "rule", strokeDash: [4, 3], strokeWidth: 1.5 },
            encoding: {
              x: { field: "threshold", type: "quantitative" },
              color,
              tooltip: [
                { field: "label", type: "nominal", title: symbol },
                { field: "gridValue", type: "quantitative", title: "grid value" },
                {
                  field: "interpolated",
                  type: "quantitative",
                  title: "interpolated",
                  format: ".4~r",
                },
              ],
            },
          },
          {
            transform: only("unreached"),
            mark: { type: "text", align: "right", baseline: "bottom", dy: -3, fontSize: 10 },
            encoding: {
              x: { field: "size", type: "quantitative" },
              y: { field: "target", type: "quantitative" },
              text: { field: "label", type: "nominal" },
              color: { value: "#b00" },
            },
          },
        ],
      },
    },
  };
}
