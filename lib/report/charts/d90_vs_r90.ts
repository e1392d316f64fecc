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
    }))
  );
  if (rows.length === 0) {
    return placeholder(
      "d90_vs_r90",
      title,
      "No model and task has both a d90 (DID or SAID) and an r90 (LoRA) that reached the target.",
    );
  }
  const subtitle = pooled.map((c) => `${methodName(c.method)}: ${correlationText(c.result)}`);
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
      mark: { type: "point", filled: true, size: 80, opacity: 0.85 },
      encoding: {
        x: {
          field: "r90",
          type: "quantitative",
          scale: { type: "log" },
          title: "r90, LoRA rank (log scale)",
        },
        y: {
          field: "d90",
          type: "quantitative",
          scale: { type: "log" },
          title: "d90, subspace dimension (log scale)",
        },
        color: {
          field: "method",
          type: "nominal",
          scale: methodScale(pooled.map((c) => c.method)),
          title: "method",
        },
        shape: { field: "task", type: "nominal", title: "task" },
        tooltip: [
          { field: "variant", type: "nominal", title: "model" },
          { field: "task", type: "nominal" },
          { field: "method", type: "nominal" },
          { field: "d90", type: "quantitative", format: ".4~r" },
          { field: "r90", type: "quantitative", format: ".4~r" },
        ],
      },
    },
  };
}
