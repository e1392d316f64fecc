/**
 * The fine-tuning methods and, for each, the train stage kind that runs it and the parameter
 * that names its size (`d` for the subspace methods, `r` for LoRA, none for full fine-tuning).
 * Planner, stages, collect-results and report all read this one table.
 *
 * @module
 */

/** Each method's train stage kind, size parameter and threshold symbol. */
export const METHODS = {
  full: { trainKind: "train-full", sizeParam: null, threshold: null },
  did: { trainKind: "train-subspace", sizeParam: "d", threshold: "d90" },
  said: { trainKind: "train-subspace", sizeParam: "d", threshold: "d90" },
  lora: { trainKind: "train-lora", sizeParam: "r", threshold: "r90" },
} as const;

/** How a model is fine-tuned. `full` is the baseline every 90% target is measured against. */
export type Method = keyof typeof METHODS;
/** The methods swept over a size grid (every method but `full`). */
export type SweepMethod = Exclude<Method, "full">;

/** Every method, in table order. */
export const METHOD_NAMES = Object.keys(METHODS) as Method[];
/** The swept methods, in table order. */
export const SWEEP_METHODS = METHOD_NAMES.filter((m) => m !== "full") as SweepMethod[];

/** The train stage kind that runs `method`. */
export function trainKindOf(method: Method): (typeof METHODS)[Method]["trainKind"] {
  return METHODS[method].trainKind;
}

/** The size parameter of `method`: `d`, `r`, or null for full fine-tuning. */
export function sizeParamOf(method: Method): "d" | "r" | null {
  return METHODS[method].sizeParam;
}

/** `d90` or `r90`: the name of a swept method's threshold. */
export function thresholdSymbol(method: SweepMethod): "d90" | "r90" {
  return METHODS[method].threshold;
}

/** True when `name` is one of the methods. */
export function isMethod(name: unknown): name is Method {
  return typeof name === "string" && Object.hasOwn(METHODS, name);
}

/** `,d=100` / `,r=4` for labels; empty for full fine-tuning, an unknown method or size. */
export function sizeLabel(method: unknown, size: number | null | undefined): string {
  const name = isMethod(method) ? sizeParamOf(method) : null;
  return name === null || size === null || size === undefined ? "" : `,${name}=${size}`;
}
