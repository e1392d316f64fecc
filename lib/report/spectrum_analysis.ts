/**
 * The spectrum section's numbers: per (model, task) the full fine-tuning update's mean 90%-energy
 * effective rank over the LoRA target matrices (and over every matrix), stable rank, size
 * (‖ΔW‖_F over all measured matrices, and relative to ‖W0‖_F), next to r90 and d90; and across
 * pairs the correlation of that effective rank with r90 and with d90, and of the update's size
 * with d90 (Spearman and Pearson on logs, bootstrap CIs), each stated in words.
 *
 * @module
 */
import type {
  DeltaSpectrum,
  MatrixSpectrum,
  RunSpectrum,
  ThresholdResult,
} from "../results/mod.ts";
import { correlationText } from "./format.ts";
import { type BootstrapOptions, type LogCorrelation, logCorrelation, mean } from "./stats.ts";

/** One (model, task): means over its seeds. */
export interface SpectrumRow {
  model: string;
  task: string;
  seeds: number;
  /** Full ΔW: mean e90 over the LoRA target matrices (every layer). */
  fullE90Targets: number | null;
  /** Full ΔW: mean e90 over every measured matrix. */
  fullE90All: number | null;
  /** Full ΔW: mean stable rank over every matrix. */
  fullStableRank: number | null;
  /** Full ΔW: √Σ‖ΔW‖²_F over every matrix. */
  fullNorm: number | null;
  /** Full ΔW: mean ‖ΔW‖_F / ‖W0‖_F. */
  fullRelNorm: number | null;
  /** LoRA at r90: mean e90 over its target matrices. */
  loraE90: number | null;
  /** DID at d90: mean e90 over every matrix. */
  didE90: number | null;
  r90: number | null;
  d90: number | null;
}

/** One correlation across pairs, with its sentence. */
export interface SpectrumCorrelation {
  x: string;
  y: string;
  result: LogCorrelation;
  /** What the data say, in words (including "no evidence of a relation"). */
  statement: string;
}

/** The section's analysis. */
export interface SpectrumAnalysis {
  rows: SpectrumRow[];
  correlations: SpectrumCorrelation[];
}

const meanOr = (xs: number[]): number | null => xs.length ? mean(xs) : null;

function runOf(doc: DeltaSpectrum, method: RunSpectrum["method"]): RunSpectrum | undefined {
  return doc.runs.find((r) => r.method === method && r.status === "ok");
}

function meanE90(ms: MatrixSpectrum[]): number | null {
  return meanOr(ms.map((m) => m.effectiveRank.e90));
}

/** The threshold value of (model, task, method) (DID for d90, LoRA for r90), or null. */
function thresholdOf(ts: ThresholdResult[], model: string, task: string, method: string) {
  return ts.find((t) => t.model === model && t.task === task && t.method === method)?.value ??
    null;
}

/** Per-pair rows, in the order the pairs first appear. */
export function spectrumRows(docs: DeltaSpectrum[], ts: ThresholdResult[]): SpectrumRow[] {
  const groups = new Map<string, DeltaSpectrum[]>();
  for (const d of docs) {
    const k = JSON.stringify([d.model, d.task]);
    groups.set(k, [...(groups.get(k) ?? []), d]);
  }
  return [...groups.values()].map((g) => {
    const per = (f: (d: DeltaSpectrum) => number | null) =>
      meanOr(g.map(f).filter((v): v is number => v !== null));
    const full = (d: DeltaSpectrum) => runOf(d, "full")?.matrices ?? [];
    return {
      model: g[0].model,
      task: g[0].task,
      seeds: g.length,
      fullE90Targets: per((d) => meanE90(full(d).filter((m) => d.loraTypes.includes(m.type)))),
      fullE90All: per((d) => meanE90(full(d))),
      fullStableRank: per((d) => meanOr(full(d).map((m) => m.stableRank))),
      fullNorm: per((d) =>
        full(d).length ? Math.sqrt(full(d).reduce((s, m) => s + m.frobenius ** 2, 0)) : null
      ),
      fullRelNorm: per((d) => meanOr(full(d).map((m) => m.relativeFrobenius))),
      loraE90: per((d) => meanE90(runOf(d, "lora")?.matrices ?? [])),
      didE90: per((d) => meanE90(runOf(d, "did")?.matrices ?? [])),
      r90: thresholdOf(ts, g[0].model, g[0].task, "lora"),
      d90: thresholdOf(ts, g[0].model, g[0].task, "did"),
    };
  });
}

/** The sentence for one correlation. */
export function correlationStatement(x: string, y: string, c: LogCorrelation): string {
  const s = c.spearman;
  if (s.value === null) return `${x} vs ${y}: ${s.note ?? "not reported"}`;
  const text = correlationText(c);
  if (s.ci === null) return `${x} vs ${y}: ${text}. ${s.note ?? ""}`.trim();
  if (s.ci.low <= 0 && s.ci.high >= 0) {
    return `${x} vs ${y}: no relation shown — ${text}; the interval includes 0.`;
  }
  const dir = s.value > 0 ? "larger" : "smaller";
  return `${x} vs ${y}: pairs with a larger ${x} have a ${dir} ${y} — ${text}.`;
}

function correlate(
  rows: SpectrumRow[],
  xKey: keyof SpectrumRow,
  yKey: keyof SpectrumRow,
  names: [string, string],
  options: BootstrapOptions,
): SpectrumCorrelation {
  const pairs = rows
    .map((r) => [r[xKey], r[yKey]] as const)
    .filter((p): p is readonly [number, number] =>
      typeof p[0] === "number" && typeof p[1] === "number" && p[0] > 0 && p[1] > 0
    );
  const result = logCorrelation(pairs.map((p) => p[0]), pairs.map((p) => p[1]), options);
  return { x: names[0], y: names[1], result, statement: correlationStatement(...names, result) };
}

/** Rows and correlations of the section. */
export function analyzeSpectra(
  docs: DeltaSpectrum[],
  thresholds: ThresholdResult[],
  options: BootstrapOptions = {},
): SpectrumAnalysis {
  const rows = spectrumRows(docs, thresholds);
  return {
    rows,
    correlations: [
      correlate(rows, "fullE90Targets", "r90", ["ΔW e90 (LoRA targets)", "r90"], options),
      correlate(rows, "fullE90Targets", "d90", ["ΔW e90 (LoRA targets)", "d90"], options),
      correlate(rows, "fullNorm", "d90", ["‖ΔW‖_F", "d90"], options),
    ],
  };
}
