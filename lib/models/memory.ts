/**
 * A peak-memory estimate for training one exported graph, checked before any long work starts.
 *
 * Counted (float32): θ0 (memory-mapped, but resident once touched); the trainable tensors with
 * Adam's m and v, twice (the session's inputs and the step's outputs); for full/DID/SAID, the
 * effective weights and their gradients (every tensor materialised once more, and its gradient);
 * for DID/SAID, the Fastfood work (G and Π mod n constants, 8 bytes per L, and about four live
 * L-vectors during the forward and backward); activations saved for the backward, per layer
 * about B·S·(12·H + 3·I) + 3·B·heads·S² floats, doubled for transient gradients.
 *
 * It is deliberately simple and conservative; the benchmark records the measured peak.
 *
 * @module
 */
import type { Method } from "../results/mod.ts";
import type { EncoderConfig } from "./config.ts";

/** The estimate, in bytes. */
export interface MemoryEstimate {
  weightsBytes: number;
  stateBytes: number;
  workBytes: number;
  fastfoodBytes: number;
  activationBytes: number;
  totalBytes: number;
}

/** What the estimate depends on besides the config. */
export interface MemoryInputs {
  method: Method;
  modelParams: number;
  trainable: number;
  batch: number;
  seq: number;
  /** Fastfood L per projection (DID/SAID). */
  fastfoodLengths: number[];
}

/** Estimates the peak resident memory of training (see the module header). */
export function estimateMemory(c: EncoderConfig, x: MemoryInputs): MemoryEstimate {
  const f = 4;
  const weightsBytes = x.modelParams * f;
  const stateBytes = x.trainable * 3 * 2 * f;
  const workBytes = x.method === "lora" ? 0 : x.modelParams * 2 * f;
  const sumL = x.fastfoodLengths.reduce((a, b) => a + b, 0);
  const maxL = x.fastfoodLengths.reduce((a, b) => Math.max(a, b), 0);
  const fastfoodBytes = sumL * 12 + (sumL + 4 * maxL) * f;
  const perLayer = x.batch * x.seq * (12 * c.hiddenSize + 3 * c.intermediateSize) +
    3 * x.batch * c.numHeads * x.seq * x.seq;
  const activationBytes = 2 * perLayer * c.numLayers * f;
  const totalBytes = weightsBytes + stateBytes + workBytes + fastfoodBytes + activationBytes;
  return { weightsBytes, stateBytes, workBytes, fastfoodBytes, activationBytes, totalBytes };
}

/** `1.23 GiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 2 : 0)} ${units[i]}`;
}
