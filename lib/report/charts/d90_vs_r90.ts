/**
 * d90 vs r90 across tasks (log–log): one point per model variant, task and subspace method,
 * with the correlation of log d90 and log r90 (Spearman and Pearson, bootstrap CIs) in the
 * subtitle.
 *
 * @module
 */
import { type Analysis, methodName } from "../analysis.ts";
import { correlationText } from "../format.ts";
import { type Chart, CONFIG, methodScale, placeholder, SCHEMA } from "./common.ts";

/** One point of the chart. */
export interface D90R90Row {
  model: string;
  variant: string;
  task: string;
  method: string;
  d90: number;
  r90: number;
  /** Bootstrap interval over seeds; an open end (beyond the grid) is drawn at the grid's max. */
  d90Low: number;
  d90High: number;
  r90Low: number;
  r90High: number;
  interval: string;
}

/** Builds the d90-vs-r90 chart from the pooled correlation groups of the analysis. */
export function d90VsR90Chart(analysis: Analysis): Chart {
  const title = "d90 vs r90 across tasks";
  const pooled = analysis.correlations.filter((c) => c.variant === null);
  const rows: D90R90Row[] = pooled.flatMap((c) =>
    c.pairs.map((p) => ({
      model: p.model,
      variant: p.variant,
      task: p.task,
      method: methodName(p.method),
      d90: p.d90,
      r90: p.r90,
      d90Low: p.d90Low ?? p.d90,
      d90High: p.d90High ?? p.d90GridMax,
      r90Low: p.r90Low ?? p.r90,
      r90High: p.r90High ?? p.r90GridMax,
      interval: `d90 [${p.d90Low ?? "—"}, ${p.d90High ?? `> ${p.d90GridMax}`}], r90 [${
        p.r90Low ?? "—"
      }, ${p.r90High ?? `> ${p.r90GridMax}`}]`,
    }))
  );
  const left = pooled.reduce((a, c) => a + c.excluded.length, 0);
  if (rows.length === 0) {
    return placeholder(
      "d90_vs_r90",
      title,
      "No model and task has both a d90 (DID or SAID) and an r90 (LoRA) that reached the target.",
    );
  }
  const subtitle = [
    ...pooled.map((c) => `${methodName(c.method)}: ${correlationText(c.result)}`),
    `Only pairs where both d90 and r90 are interior crossings; ${left} threshold(s) left out ` +
    "(not reached, or reached at the grid's first size). Bars: 95% intervals over seeds.",
  ];
  const xTitle = "r90, LoRA rank (log scale)";
  const yTitle = "d90, subspace dimension (log scale)";
  const color = {
    field: "method",
    type: "nominal" as const,
    scale: methodScale(pooled.map((c) => c.method)),
    title: "method",
  };
  return {
    name: "d90_vs_r90",
    title,
    hasData: true,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle },
      config: CONFIG,
      width: 420,
      height: 320,
      data: { values: rows },
      layer: [
        {
          mark: { type: "errorbar", ticks: true },
          encoding: {
            x: { field: "r90Low", type: "quantitative", scale: { type: "log" }, title: xTitle },
            x2: { field: "r90High" },
            y: { field: "d90", type: "quantitative", scale: { type: "log" }, title: yTitle },
            color,
          },
        },
        {
          mark: { type: "errorbar", ticks: true },
          encoding: {
            y: { field: "d90Low", type: "quantitative", scale: { type: "log" }, title: yTitle },
            y2: { field: "d90High" },
            x: { field: "r90", type: "quantitative", scale: { type: "log" }, title: xTitle },
            color,
          },
        },
        {
          mark: { type: "point", filled: true, size: 80, opacity: 0.85 },
          encoding: {
            x: { field: "r90", type: "quantitative", scale: { type: "log" }, title: xTitle },
            y: { field: "d90", type: "quantitative", scale: { type: "log" }, title: yTitle },
            color,
            shape: { field: "task", type: "nominal", title: "task" },
            tooltip: [
              { field: "variant", type: "nominal", title: "model" },
              { field: "task", type: "nominal" },
              { field: "method", type: "nominal" },
              { field: "d90", type: "quantitative", format: ".4~r" },
              { field: "r90", type: "quantitative", format: ".4~r" },
              { field: "interval", type: "nominal", title: "95% intervals" },
            ],
          },
        },
      ],
    },
  };
}
