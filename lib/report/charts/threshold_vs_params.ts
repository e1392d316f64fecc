/**
 * d90 and r90 vs model parameter count (log–log), one panel per task measured on several
 * models, with the fitted power law (OLS of log threshold on log parameters) drawn as a line
 * and its slope and CI in the subtitle.
 *
 * @module
 */
import { type Analysis, methodName } from "../analysis.ts";
import { slopeText } from "../format.ts";
import { type Chart, CONFIG, facetColumns, methodScale, placeholder, SCHEMA } from "./common.ts";

/** One row of the chart: a measured threshold, or an end of a fitted line. */
export type ThresholdParamsRow =
  | {
    layer: "point";
    task: string;
    method: string;
    model: string;
    params: number;
    value: number;
    symbol: string;
  }
  | { layer: "fit"; task: string; method: string; params: number; value: number };

/** Builds the threshold-vs-parameters chart from the analysis' scaling fits. */
export function thresholdVsParamsChart(analysis: Analysis): Chart {
  const title = "d90 and r90 vs model parameters";
  const rows: ThresholdParamsRow[] = [];
  for (const s of analysis.scaling) {
    const method = methodName(s.method);
    for (const p of s.points) {
      rows.push({
        layer: "point",
        task: s.task,
        method,
        model: p.model,
        params: p.params,
        value: p.value,
        symbol: s.method === "lora" ? "r90" : "d90",
      });
    }
    const fit = s.result.fit;
    if (fit !== null) {
      const xs = s.points.map((p) => p.params);
      for (const x of [Math.min(...xs), Math.max(...xs)]) {
        rows.push({
          layer: "fit",
          task: s.task,
          method,
          params: x,
          value: 10 ** (fit.intercept + fit.slope * Math.log10(x)),
        });
      }
    }
  }
  if (rows.length === 0) {
    const why = analysis.singleModelTasks.length > 0
      ? `Every task was measured on a single model (${analysis.singleModelTasks.join(", ")}).`
      : "No threshold reached its target.";
    return placeholder("threshold_vs_params", title, `Nothing to fit: ${why}`);
  }
  const tasks = [...new Set(rows.map((r) => r.task))];
  const methods = [...new Set(analysis.scaling.map((s) => s.method))];
  const subtitle = analysis.scaling.map((s) =>
    `${s.task} · ${methodName(s.method)}: ${slopeText(s.result)}`
  );
  const x = {
    field: "params",
    type: "quantitative" as const,
    scale: { type: "log" as const },
    axis: { format: "~s" },
    title: "model parameters (log scale)",
  };
  const y = {
    field: "value",
    type: "quantitative" as const,
    scale: { type: "log" as const },
    title: "d90 (DID, SAID) or r90 (LoRA), log scale",
  };
  const color = {
    field: "method",
    type: "nominal" as const,
    scale: methodScale(methods),
    title: "method",
  };
  return {
    name: "threshold_vs_params",
    title,
    hasData: true,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle },
      config: CONFIG,
      data: { values: rows },
      facet: { field: "task", type: "nominal", title: null, sort: tasks },
      columns: facetColumns(tasks.length, 3),
      spec: {
        width: 320,
        height: 260,
        layer: [
          {
            transform: [{ filter: "datum.layer === 'fit'" }],
            mark: { type: "line", strokeDash: [6, 3], strokeWidth: 1.5 },
            encoding: { x, y, color, detail: { field: "method", type: "nominal" } },
          },
          {
            transform: [{ filter: "datum.layer === 'point'" }],
            mark: { type: "point", filled: true, size: 70 },
            encoding: {
              x,
              y,
              color,
              tooltip: [
                { field: "model", type: "nominal" },
                { field: "task", type: "nominal" },
                { field: "method", type: "nominal" },
                { field: "params", type: "quantitative", format: ".3~s" },
                { field: "symbol", type: "nominal", title: "threshold" },
                { field: "value", type: "quantitative", title: "value", format: ".4~r" },
              ],
            },
          },
        ],
      },
    },
  };
}
