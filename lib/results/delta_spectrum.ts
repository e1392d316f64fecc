/**
 * `DeltaSpectrum`: the spectrum of the fine-tuning update ΔW = W − W0 of every attention and
 * feed-forward matrix, for the chosen full fine-tuning run of one (model, task, seed) and, where
 * the thresholds were reached, the LoRA run at r90 and the DID run at d90. Written by
 * `delta-spectrum` as `spectrum.json`, read by the report.
 *
 * @module
 */
import * as path from "node:path";
import { z } from "zod";
import { readJsonRecord, writeJsonAtomic } from "./json_file.ts";
import { finite } from "./run_result.ts";

/** The file a `delta-spectrum` instance writes. */
export const SPECTRUM_FILE = "spectrum.json";

/** The spectrum of one matrix's ΔW. */
export const matrixSpectrumSchema = z.looseObject({
  layer: z.number().int().min(0),
  /** `query`, `key`, `value`, `attn_out`, `ffn_in`, `ffn_out`. */
  type: z.string(),
  /** The canonical parameter name of the weight. */
  name: z.string(),
  /** Stored shape `[in, out]`. */
  shape: z.array(z.number().int().positive()).length(2),
  /** Singular values of ΔW, descending (min(in, out) of them). */
  singularValues: z.array(finite.nonnegative()),
  /** Fewest leading singular values holding 50 / 90 / 99% of ‖ΔW‖²_F. */
  effectiveRank: z.looseObject({ e50: finite, e90: finite, e99: finite }),
  /** ‖ΔW‖²_F / ‖ΔW‖²₂. */
  stableRank: finite.nonnegative(),
  /** ‖ΔW‖_F. */
  frobenius: finite.nonnegative(),
  /** ‖ΔW‖_F / ‖W0‖_F. */
  relativeFrobenius: finite.nonnegative(),
});

/** The spectra of one run's update (or why there is none). */
export const runSpectrumSchema = z.looseObject({
  method: z.enum(["full", "lora", "did"]),
  /** r for LoRA, d for DID, null for full fine-tuning. */
  size: finite.positive().nullable(),
  /** The run's lr (the best of its point), null when no run was chosen. */
  lr: finite.nullable(),
  /** `ok`, or `unavailable` with a reason (threshold not reached, no successful run, …). */
  status: z.enum(["ok", "unavailable"]),
  reason: z.string().optional(),
  /** Instance key of the run whose weights were read. */
  runKey: z.string().optional(),
  /** Reported metric of that run's best step. */
  value: finite.nullable().optional(),
  /** Every matrix with an update (LoRA: only its target matrices). */
  matrices: z.array(matrixSpectrumSchema),
  /** Seconds spent on the singular values of this run's matrices. */
  svdSeconds: finite.nonnegative().optional(),
});

/** Everything `delta-spectrum` measured for one (model, task, seed). */
export const deltaSpectrumSchema = z.looseObject({
  model: z.string(),
  task: z.string(),
  seed: finite,
  /** Encoder layers of the model. */
  layers: z.number().int().positive(),
  /** The matrix types LoRA adapted (the targets), for the mean effective rank. */
  loraTypes: z.array(z.string()),
  /** How the singular values were computed. */
  method: z.string(),
  runs: z.array(runSpectrumSchema),
});

/** One matrix's ΔW spectrum. */
export type MatrixSpectrum = z.infer<typeof matrixSpectrumSchema>;
/** One run's ΔW spectra. */
export type RunSpectrum = z.infer<typeof runSpectrumSchema>;
/** The content of `spectrum.json`. */
export type DeltaSpectrum = z.infer<typeof deltaSpectrumSchema>;

/** Writes `<dir>/spectrum.json`, atomically. */
export function writeDeltaSpectrum(dir: string, doc: DeltaSpectrum): void {
  writeJsonAtomic(path.join(dir, SPECTRUM_FILE), doc);
}

/** Reads and validates `<dir>/spectrum.json`. */
export function readDeltaSpectrum(dir: string): DeltaSpectrum {
  return readJsonRecord(path.join(dir, SPECTRUM_FILE), deltaSpectrumSchema);
}
