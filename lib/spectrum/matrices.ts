/**
 * The weight matrices whose update spectrum is measured: per encoder layer, the attention's
 * query, key, value and output projections and the feed-forward block's two matrices, by their
 * canonical parameter names (lib/models/params.ts; stored `[in, out]`).
 *
 * @module
 */

/** The matrix types of one encoder layer, in report order. */
export const MATRIX_TYPES = ["query", "key", "value", "attn_out", "ffn_in", "ffn_out"] as const;

/** One matrix type. */
export type MatrixType = (typeof MATRIX_TYPES)[number];

/** The canonical-name suffix (after `encoder.layer.N.`) of each matrix type. */
const SUFFIX: Record<MatrixType, string> = {
  query: "attention.self.query",
  key: "attention.self.key",
  value: "attention.self.value",
  attn_out: "attention.output.dense",
  ffn_in: "intermediate.dense",
  ffn_out: "output.dense",
};

/** One measured matrix: its layer, type and canonical Linear prefix (`….query`). */
export interface MatrixSlot {
  layer: number;
  type: MatrixType;
  /** The Linear's canonical prefix; its weight is `<prefix>.weight`. */
  prefix: string;
}

/** Every measured matrix of an encoder with `layers` layers, layer by layer. */
export function matrixSlots(layers: number): MatrixSlot[] {
  const out: MatrixSlot[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (const type of MATRIX_TYPES) {
      out.push({ layer, type, prefix: `encoder.layer.${layer}.${SUFFIX[type]}` });
    }
  }
  return out;
}

/**
 * The matrix type a LoRA target name (`query`, `value`, `dense`, …; matched like PEFT's
 * `target_modules`, by the suffix of the Linear's name) selects; several for `dense`.
 */
export function typesOfLoraTarget(target: string): MatrixType[] {
  return MATRIX_TYPES.filter((t) => SUFFIX[t].endsWith(`.${target}`) || SUFFIX[t] === target);
}
