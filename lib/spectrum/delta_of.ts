/**
 * ΔW of one matrix from a kept train state (lib/train/keep_weights.ts) by the run's method:
 * `param/<name>` − W0 (full), `lora/<prefix>/A|B` (LoRA), `z` through the tensor's Fastfood
 * projection (DID).
 *
 * @module
 */
import type { TensorState } from "../train/mod.ts";
import { didDelta, didGlobalDelta, fullDelta, globalProjection, loraDelta } from "./delta.ts";
import type { MatrixSlot } from "./matrices.ts";
import type { Pretrained, Update } from "./run_spectra.ts";
import type { DenseMatrix } from "./singular_values.ts";

function tensor(state: TensorState, name: string): Float32Array {
  const t = state[name];
  if (!t || !(t.data instanceof Float32Array)) {
    throw new Error(`kept weights have no float32 tensor "${name}"`);
  }
  return t.data;
}

/** P z of the global projection, computed once per kept z (every matrix slices it). */
const globalCache = new WeakMap<Float32Array, Float32Array>();
function globalPz(z: Float32Array, seed: number, total: number): Float32Array {
  let pz = globalCache.get(z);
  if (pz === undefined) globalCache.set(z, pz = globalProjection(z, seed, total));
  return pz;
}

/** ΔW of `slot` (stored `[in, out]`). */
export function delta(
  pre: Pretrained,
  state: TensorState,
  update: Update,
  slot: MatrixSlot,
): DenseMatrix {
  const name = `${slot.prefix}.weight`;
  const w0 = pre.weight(slot);
  switch (update.method) {
    case "full":
      return fullDelta(tensor(state, `param/${name}`), w0.data, w0.shape);
    case "lora":
      return loraDelta(
        tensor(state, `lora/${slot.prefix}/A`),
        tensor(state, `lora/${slot.prefix}/B`),
        update.r,
        w0.shape,
        update.scale,
      );
    case "did": {
      if (update.projection === "global") {
        const offset = update.offsets.get(name);
        if (offset === undefined) throw new Error(`DID: "${name}" is not a projected tensor`);
        const pz = globalPz(tensor(state, "z"), update.seed, update.total);
        return didGlobalDelta(pz, offset, w0.shape);
      }
      const stream = update.streams.get(name);
      if (stream === undefined) throw new Error(`DID: "${name}" is not a projected tensor`);
      return didDelta(tensor(state, "z"), update.seed, stream, w0.shape);
    }
  }
}
