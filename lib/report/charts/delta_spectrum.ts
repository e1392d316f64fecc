/**
 * The spectrum section's charts: per (model, task) the normalised singular values σᵢ/σ₁ of the
 * full fine-tuning ΔW, one line per layer, one panel per matrix type (log–log, each curve thinned
 * to log-spaced indices); and across pairs the 90%-energy effective rank (mean over the LoRA
 * target matrices) against r90 and against d90.
 *
 * @module
 */
import type { DeltaSpectrum } from "../../results/mod.ts";
import type { SpectrumAnalysis } from "../spectrum_analysis.ts";
import { correlationText } from "../format.ts";
import { CONFIG, SCHEMA } from "./common.ts";
import type { ChartSpec } from "./common.ts";

/** A chart of the spectrum section (its own names: one per pair plus the scatter). */
export interface SpectrumChart {
  name: string;
  title: string;
  spec: ChartSpec;
  hasData: boolean;
}

/** Points kept per curve (log-spaced indices, first and last included). */
const POINTS_PER_CURVE = 48;

/** The file stem of a pair's spectrum chart. */
export function spectrumChartName(model: string, task: string): string {
  return `spectrum_${`${model}_${task}`.replace(/[^A-Za-z0-9_-]+/g, "-")}`;
}

/** The file stem of the effective-rank scatter. */
export const SCATTER_CHART = "spectrum_vs_thresholds";

/** Log-spaced 0-based indices into a curve of length n. */
export function thinIndices(n: number, k = POINTS_PER_CURVE): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let j = 0; j < k; j++) out.add(Math.round(Math.exp((Math.log(n) * j) / (k - 1))) - 1);
  return [...out].filter((i) => i >= 0 && i < n).sort((a, b) => a - b);
}

/** The normalised-spectrum chart of one (model, task): the full runs of its seeds. */
export function spectrumChart(docs: DeltaSpectrum[]): SpectrumChart {
  const { model, task } = docs[0];
  const title = `Spectrum of the full fine-tuning ΔW: ${model} on ${task}`;
  const values: Record<string, unknown>[] = [];
  for (const d of docs) {
    const full = d.runs.find((r) => r.method === "full" && r.status === "ok");
    for (const m of full?.matrices ?? []) {
      const s = m.singularValues;
      if (!s.length || s[0] === 0) continue;
      for (const i of thinIndices(s.length)) {
        if (s[i] <= 0) continue;
        values.push({
          seed: d.seed,
          layer: m.layer,
          type: m.type,
          index: i + 1,
          sigma: s[i] / s[0],
        });
      }
    }
  }
  return {
    name: spectrumChartName(model, task),
    title,
    hasData: values.length > 0,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle: "σᵢ / σ₁ by layer (colour) and matrix type (panel)" },
      config: CONFIG,
      data: { values: values.length ? values : [{ index: 1, sigma: 1, layer: 0, type: "none" }] },
      facet: { field: "type", type: "nominal", title: null },
      columns: 3,
      spec: {
        width: 180,
        height: 140,
        mark: { type: "line", strokeWidth: 1 },
        encoding: {
          x: { field: "index", type: "quantitative", scale: { type: "log" }, title: "i" },
          y: { field: "sigma", type: "quantitative", scale: { type: "log" }, title: "σᵢ/σ₁" },
          color: { field: "layer", type: "ordinal", scale: { scheme: "viridis" } },
          detail: { field: "seed", type: "nominal" },
          tooltip: [
            { field: "layer" },
            { field: "type" },
            { field: "index" },
            { field: "sigma", format: ".3g" },
          ],
        },
      },
    },
  };
}

/** e90 (LoRA targets) against r90 and d90, one point per pair, with the correlations. */
export function scatterChart(a: SpectrumAnalysis): SpectrumChart {
  const title = "Effective rank of ΔW (90% energy) vs r90 and d90";
  const values = a.rows.flatMap((r) =>
    (["r90", "d90"] as const).flatMap((t) =>
      r.fullE90Targets !== null && r[t] !== null
        ? [{ pair: `${r.model}/${r.task}`, threshold: t, e90: r.fullE90Targets, value: r[t] }]
        : []
    )
  );
  return {
    name: SCATTER_CHART,
    title,
    hasData: values.length > 0,
    spec: {
      $schema: SCHEMA,
      title: {
        text: title,
        subtitle: a.correlations.slice(0, 2).map((c) => `${c.y}: ${correlationText(c.result)}`),
      },
      config: CONFIG,
      data: { values: values.length ? values : [{ e90: 1, value: 1, threshold: "none" }] },
      facet: { column: { field: "threshold", type: "nominal", title: null } },
      resolve: { scale: { y: "independent" } },
      spec: {
        width: 240,
        height: 200,
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x: {
            field: "e90",
            type: "quantitative",
            scale: { type: "log" },
            title: "mean e90 of ΔW (LoRA targets)",
          },
          y: { field: "value", type: "quantitative", scale: { type: "log" }, title: "threshold" },
          tooltip: [{ field: "pair" }, { field: "e90", format: ".3g" }, { field: "value" }],
        },
      },
    },
  };
}
