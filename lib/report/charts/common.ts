/**
 * Shared pieces of the report's Vega-Lite charts: the spec type, the font, the method
 * colours, and the placeholder drawn when a chart has no data.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";

/** A Vega-Lite spec with its data inline (`data.values`). */
export type ChartSpec = TopLevelSpec;

/** A chart of the report: its file stem, its title, its spec, and whether it has data. */
export interface Chart {
  /** File stem: `charts/<name>.vl.json`, `.svg`, `.png`. */
  name: ChartName;
  title: string;
  spec: ChartSpec;
  /** False when the chart only says why there is nothing to draw. */
  hasData: boolean;
}

/** The report's charts, in the order they appear. */
export const CHART_NAMES = [
  "accuracy_vs_d",
  "accuracy_vs_r",
  "d90_vs_r90",
  "threshold_vs_params",
  "d90_vs_pretrain_steps",
] as const;

/** A chart's file stem. */
export type ChartName = typeof CHART_NAMES[number];

/** The font every chart uses, so the SVG and the PNG rasterizer agree (DejaVu Sans). */
export const FONT = "DejaVu Sans";

/** Vega-Lite config shared by every chart. */
export const CONFIG = {
  font: FONT,
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  title: { fontSize: 14, subtitleFontSize: 11, anchor: "start" as const },
};

/** Method colours: one scale for every chart. */
export const METHOD_SCALE = {
  domain: ["DID", "SAID", "LoRA"],
  range: ["#1f77b4", "#ff7f0e", "#2ca02c"],
};

/** The method colour scale restricted to the given methods (so legends list only those). */
export function methodScale(methods: readonly ("did" | "said" | "lora")[]) {
  const names = { did: "DID", said: "SAID", lora: "LoRA" };
  const keep = METHOD_SCALE.domain.map((_, i) => i).filter((i) =>
    methods.some((m) => names[m] === METHOD_SCALE.domain[i])
  );
  return {
    domain: keep.map((i) => METHOD_SCALE.domain[i]),
    range: keep.map((i) => METHOD_SCALE.range[i]),
  };
}

/** The Vega-Lite schema URL (documentation only: the spec is never fetched from it). */
export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/**
 * A chart that says why it has nothing to draw (a text mark, so it still renders marks).
 */
export function placeholder(name: ChartName, title: string, reason: string): Chart {
  return {
    name,
    title,
    hasData: false,
    spec: {
      $schema: SCHEMA,
      title,
      config: CONFIG,
      width: 400,
      height: 60,
      data: { values: [{ reason }] },
      mark: { type: "text", align: "left", x: 0, y: 30, fontSize: 12 },
      encoding: { text: { field: "reason", type: "nominal" } },
    },
  };
}

/**
 * Columns of a faceted chart with `n` panels and no empty cell: the largest divisor of n that is
 * at most `max` (so every row is full), or one row of n when n's only such divisor is 1.
 */
export function facetColumns(n: number, max = 4): number {
  if (n <= max) return Math.max(1, n);
  for (let c = max; c >= 2; c--) if (n % c === 0) return c;
  return n;
}
