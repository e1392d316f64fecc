/**
 * The ΔW spectra of one kept run: every measured matrix's update (full fine-tuning: all six
 * types of every layer; LoRA: its target matrices; DID: all six, per-tensor projection) turned
 * into spectrum records.
 *
 * @module
 */
import {
  type EncoderConfig,
  loraScale,
  numel,
  readWeightsIndex,
  readWeightsTensor,
  seqClsSpecs,
  type WeightsIndex,
} from "../models/mod.ts";
import type { MatrixSpectrum } from "../results/mod.ts";
import type { TensorState } from "../train/mod.ts";
import { delta as deltaOf } from "./delta_of.ts";
import { frobeniusNorm } from "./energy.ts";
import { type MatrixSlot, matrixSlots, type MatrixType, typesOfLoraTarget } from "./matrices.ts";
import { measureMatrix } from "./measure.ts";

/** The pretrained model a spectrum is measured against. */
export class Pretrained {
  readonly index: WeightsIndex;
  readonly #norms = new Map<string, number>();
  constructor(readonly dir: string, readonly config: EncoderConfig) {
    this.index = readWeightsIndex(dir);
  }
  /** W0 of a matrix (`[in, out]`) and its shape. */
  weight(slot: MatrixSlot): { data: Float32Array; shape: [number, number] } {
    const name = `${slot.prefix}.weight`;
    const e = this.index.tensors[name];
    if (!e || e.shape.length !== 2) {
      throw new Error(`${this.dir}/weights.json: no matrix "${name}"`);
    }
    return {
      data: readWeightsTensor(this.dir, this.index, name),
      shape: [e.shape[0], e.shape[1]],
    };
  }
  /** ‖W0‖_F of a matrix. */
  norm(slot: MatrixSlot): number {
    let n = this.#norms.get(slot.prefix);
    if (n === undefined) this.#norms.set(slot.prefix, n = frobeniusNorm(this.weight(slot).data));
    return n;
  }
}

/** How a kept state maps to ΔW (see `delta_of.ts`). */
export type Update =
  | { method: "full" }
  | { method: "lora"; r: number; scale: number; types: MatrixType[] }
  | {
    method: "did";
    seed: number;
    /** `per-tensor`: each tensor's own projection (stream i); `global`: one over all of them. */
    projection: "per-tensor" | "global";
    /** Stream of each tensor (per-tensor), in the exported graphs' parameter order. */
    streams: Map<string, number>;
    /** Offset of each tensor in the global projection's output, and its length (global). */
    offsets: Map<string, number>;
    total: number;
  };

/** The LoRA update of graphs exported with these options. */
export function loraUpdate(o: {
  r: number;
  alpha: number;
  rslora?: boolean;
  targets?: string[];
}): Update {
  const targets = o.targets ?? ["query", "value"];
  return {
    method: "lora",
    r: o.r,
    scale: loraScale({ r: o.r, alpha: o.alpha, rslora: o.rslora, seed: 0 }),
    types: [...new Set(targets.flatMap(typesOfLoraTarget))],
  };
}

/** The DID update: stream i of tensor i of the graph's parameter list (seqcls specs). */
export function didUpdate(
  config: EncoderConfig,
  numLabels: number,
  seed: number,
  projection: "per-tensor" | "global" = "per-tensor",
): Update {
  const streams = new Map<string, number>();
  const offsets = new Map<string, number>();
  let total = 0;
  seqClsSpecs(config, numLabels).forEach((s, i) => {
    streams.set(s.name, i);
    offsets.set(s.name, total);
    total += numel(s.shape);
  });
  return { method: "did", seed, projection, streams, offsets, total };
}

/** Every spectrum record of one kept state, layer by layer. */
export function runSpectra(
  pre: Pretrained,
  state: TensorState,
  update: Update,
  log: (message: string) => void = () => {},
): MatrixSpectrum[] {
  const slots = matrixSlots(pre.config.numLayers).filter((s) =>
    update.method !== "lora" || update.types.includes(s.type)
  );
  return slots.map((slot) => {
    const t0 = performance.now();
    const rec = measureMatrix(slot, deltaOf(pre, state, update, slot), pre.norm(slot));
    log(
      `${update.method} ${rec.name} [${rec.shape}]: e90 ${rec.effectiveRank.e90}, stable rank ` +
        `${rec.stableRank.toFixed(2)}, ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    return rec;
  });
}
