/**
 * ΔW of one weight matrix for each method, in the stored `[in, out]` layout (row-major,
 * rows = in):
 *
 * - full fine-tuning: W − W0, from the kept `param/<name>` tensor and the pretrained weights;
 * - LoRA: s·(BA)ᵀ = s·AᵀBᵀ with A `[r, in]`, B `[out, r]` and s = α/r (α/√r with rsLoRA), zero
 *   for a matrix without an adapter;
 * - DID: the matrix's slice of P z, with the per-tensor Fastfood projection of stream i (the
 *   tensor's index in the graph's parameter list) regenerated from (D, d, seed, i) exactly as the
 *   export builds it (lib/models/fastfood_params.ts).
 *
 * @module
 */
import { fastfoodApply, makeFastfood } from "../models/mod.ts";
import type { DenseMatrix } from "./singular_values.ts";

/** W − W0 (both `[in, out]`, row-major). */
export function fullDelta(
  trained: Float32Array,
  pretrained: Float32Array,
  shape: [number, number],
): DenseMatrix {
  if (trained.length !== pretrained.length || trained.length !== shape[0] * shape[1]) {
    throw new Error(
      `full ΔW: trained (${trained.length}) and pretrained (${pretrained.length}) values do ` +
        `not both fill [${shape}]`,
    );
  }
  const data = new Float64Array(trained.length);
  for (let i = 0; i < data.length; i++) data[i] = trained[i] - pretrained[i];
  return { rows: shape[0], cols: shape[1], data };
}

/** s·AᵀBᵀ, `[in, out]`, from A `[r, in]` and B `[out, r]`. */
export function loraDelta(
  A: Float32Array,
  B: Float32Array,
  r: number,
  shape: [number, number],
  scale: number,
): DenseMatrix {
  const [din, dout] = shape;
  if (A.length !== r * din || B.length !== dout * r) {
    throw new Error(
      `LoRA ΔW: A has ${A.length} values (need ${r}×${din}), B ${B.length} (need ${dout}×${r})`,
    );
  }
  const data = new Float64Array(din * dout);
  for (let i = 0; i < din; i++) {
    for (let o = 0; o < dout; o++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += A[k * din + i] * B[o * r + k];
      data[i * dout + o] = scale * s;
    }
  }
  return { rows: din, cols: dout, data };
}

/**
 * The global projection's P z over all D parameters (stream 0, as `did` with `projection:
 * global` builds it): every tensor's ΔW is a slice of it.
 */
export function globalProjection(z: ArrayLike<number>, seed: number, D: number): Float32Array {
  return Float32Array.from(fastfoodApply(makeFastfood(D, z.length, seed, 0), z));
}

/** ΔW of one tensor of the global projection: `shape` values from `offset` of P z. */
export function didGlobalDelta(
  pz: Float32Array,
  offset: number,
  shape: [number, number],
): DenseMatrix {
  const n = shape[0] * shape[1];
  return { rows: shape[0], cols: shape[1], data: pz.subarray(offset, offset + n) };
}

/** The per-tensor DID update of tensor `stream` (D = its size) for the trained z. */
export function didDelta(
  z: ArrayLike<number>,
  seed: number,
  stream: number,
  shape: [number, number],
): DenseMatrix {
  const D = shape[0] * shape[1];
  const data = fastfoodApply(makeFastfood(D, z.length, seed, stream), z);
  return { rows: shape[0], cols: shape[1], data };
}
