/**
 * θ0 as graph initializers stored as external data in the model's shared weights file, so ONNX
 * Runtime memory-maps them and they never cross into JavaScript.
 *
 * @module
 */
import type { Graph, Tensor } from "../../onnx/mod.ts";
import type { ParamSource } from "../encoder.ts";
import { WEIGHTS_BIN, type WeightsIndex } from "../weights_file.ts";

/** Options of {@link frozenSource}. */
export interface FrozenOptions {
  /** The weights file's location relative to the exported model file (default `weights.bin`). */
  location?: string;
  /** Embedded tensors that are not in the weights file (e.g. a freshly initialised head). */
  extra?: Map<string, { shape: number[]; data: Float32Array }>;
}

/**
 * A ParamSource whose tensors are external initializers named `theta0/<name>` into the weights
 * file, created on first use (so only the tensors a graph reads are referenced).
 */
export function frozenSource(g: Graph, index: WeightsIndex, opts: FrozenOptions = {}): ParamSource {
  const cache = new Map<string, Tensor>();
  const location = opts.location ?? WEIGHTS_BIN;
  return {
    weight(name: string): Tensor {
      let t = cache.get(name);
      if (t) return t;
      const extra = opts.extra?.get(name);
      const e = index.tensors[name];
      if (extra) t = g.initializer(`theta0/${name}`, "float32", extra.shape, extra.data);
      else if (e) {
        t = g.external(`theta0/${name}`, "float32", e.shape, {
          location,
          offset: e.offset,
          length: e.length,
        });
      } else {
        throw new Error(`weights file has no tensor "${name}" (and no initial value was given)`);
      }
      cache.set(name, t);
      return t;
    },
  };
}
