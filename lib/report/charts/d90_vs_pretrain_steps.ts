/**
 * d90 (and r90) vs pretraining steps, for models the pipeline pretrained itself: one panel per
 * model (its checkpoints together) and task, one line per method. The thresholds are on a log
 * scale; the steps on a symmetric log scale, so that step 0 (the random initialisation) is drawn.
 *
 * @module
 */
import type { ThresholdResult } from "../../results/mod.ts";
import {
  baseModel,
  gridMax,
  methodName,
  thresholdInterval,
  thresholdNumber,
  type ThresholdStatistic,
} from "../analysis.ts";
import { type Chart, CONFIG, facetColumns, methodScale, placeholder, SCHEMA } from "./common.ts";

/** One point of the chart. */
export interface PretrainRow {
  panel: string;
  model: string;
  task: string;
  method: string;
  pretrainSteps: number;
  value: number;
  /** Bootstrap interval over seeds (an open upper end drawn at the grid's max). */
  low: number;
  high: number;
  interval: string;
  symbol: string;
}

/** Builds the d90-vs-pretraining-steps chart. */
export function d90VsPretrainStepsChart(
  thresholds: ThresholdResult[],
  statistic: ThresholdStatistic,
): Chart {
  const title = "d90 and r90 vs pretraining steps";
  const rows: PretrainRow[] = [];
  for (const t of thresholds) {
    const v = thresholdNumber(t, statistic);
    if (t.pretrainSteps === undefined || v === null) continue;
    const model = baseModel(t);
    const ci = thresholdInterval(t, statistic);
    const max = gridMax(t);
    rows.push({
      low: ci?.low ?? v,
      high: ci?.high ?? (ci === null ? v : max),
      interval: ci === null ? "none (one seed)" : `[${ci.low ?? "—"}, ${ci.high ?? `> ${max}`}]`,
      panel: `${model} · ${t.task}`,
      model,
      task: t.task,
      method: methodName(t.method),
      pretrainSteps: t.pretrainSteps,
      value: v,
      symbol: t.method === "lora" ? "r90" : "d90",
    });
  }
  if (rows.length === 0) {
    return placeholder(
      "d90_vs_pretrain_steps",
      title,
      "No run in these results has pretraining steps (only pipeline-pretrained models have them).",
    );
  }
  const panels = [...new Set(rows.map((r) => r.panel))].sort();
  const methods = [...new Set(thresholds.map((t) => t.method))];
  // Both layers (interval bars and the line of values) share their x and colour encodings.
  const x = {
    field: "pretrainSteps",
    type: "quantitative",
    scale: { type: "symlog", constant: 100, nice: false, padding: 20 },
    title: "pretraining steps (symmetric log scale; 0 = random initialisation)",
  } as const;
  const color = {
    field: "method",
    type: "nominal",
    scale: methodScale(methods),
    title: "method",
  } as const;
  return {
    name: "d90_vs_pretrain_steps",
    title,
    hasData: true,
    spec: {
      $schema: SCHEMA,
      title: {
        text: title,
        subtitle: "Models pretrained by the pipeline; thresholds that never reached the target " +
          "are left out. Bars: 95% intervals over seeds.",
      },
      config: CONFIG,
      data: { values: rows },
      facet: { field: "panel", type: "nominal", title: null, sort: panels },
      columns: facetColumns(panels.length, 3),
      spec: {
        width: 320,
        height: 240,
        layer: [{
          mark: { type: "errorbar", ticks: true },
          encoding: {
            x,
            y: {
              field: "low",
              type: "quantitative",
              scale: { type: "log" },
              title: "d90 (DID, SAID) or r90 (LoRA), log scale",
            },
            y2: { field: "high" },
            color,
          },
        }, {
          mark: { type: "line", point: { filled: true, size: 60 } },
          encoding: {
            x,
            y: {
              field: "value",
              type: "quantitative",
              scale: { type: "log" },
              title: "d90 (DID, SAID) or r90 (LoRA), log scale",
            },
            color,
            tooltip: [
              { field: "model", type: "nominal" },
              { field: "task", type: "nominal" },
              { field: "method", type: "nominal" },
              { field: "pretrainSteps", type: "quantitative", title: "pretraining steps" },
              { field: "symbol", type: "nominal", title: "threshold" },
              { field: "value", type: "quantitative", format: ".4~r" },
              { field: "interval", type: "nominal", title: "95% interval" },
            ],
          },
        }],
      },
    },
  };
}
