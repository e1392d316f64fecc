/**
 * SAID (Aghajanyan et al. 2020): DID plus one learned scale λ per tensor (default) or per layer,
 * initialised to 1 and taken out of d: z ∈ R^(d−m), λ ∈ R^m, θ_i = θ0_i + λ_k(i) (P z)_i.
 *
 * Layer groups: `embeddings`, each `encoder.layer.N`, `pooler`, and the head (`classifier`).
 *
 * @module
 */
import { slice } from "../ops.ts";
import type { FastfoodPlan } from "../fastfood.ts";
import { inputOf, type ModelContext, type Parameterization } from "./common.ts";
import { type DidOptions, projectedSource } from "./did.ts";

/** Options of SAID. */
export interface SaidOptions extends DidOptions {
  /** One λ per tensor (default) or per layer. */
  lambdaPer?: "tensor" | "layer";
}

/** The layer group of a canonical parameter name. */
export function layerGroup(name: string): string {
  const m = /^encoder\.layer\.(\d+)\./.exec(name);
  if (m) return `encoder.layer.${m[1]}`;
  return name.split(".")[0];
}

/** For each tensor (in specs order), the index of its λ; and m = the number of λs. */
export function lambdaIndex(m: ModelContext, per: "tensor" | "layer"): { of: number[]; m: number } {
  if (per === "tensor") return { of: m.specs.map((_, i) => i), m: m.specs.length };
  const groups: string[] = [];
  const of = m.specs.map((s) => {
    const k = layerGroup(s.name);
    let i = groups.indexOf(k);
    if (i < 0) i = groups.push(k) - 1;
    return i;
  });
  return { of, m: groups.length };
}

/** SAID with d dimensions in total (d − m for z, m for λ). */
export function said(opts: SaidOptions): Parameterization {
  const per = opts.lambdaPer ?? "tensor";
  const plans = new Map<string, FastfoodPlan>();
  const dims = (m: ModelContext) => {
    const li = lambdaIndex(m, per);
    if (opts.d <= li.m) {
      throw new Error(
        `SAID: d = ${opts.d} must exceed the number of scales m = ${li.m} (one per ${per})`,
      );
    }
    return li;
  };
  return {
    trainables: (m) => {
      const li = dims(m);
      return [
        { name: "z", shape: [opts.d - li.m], init: new Float32Array(opts.d - li.m) },
        { name: "lambda", shape: [li.m], init: new Float32Array(li.m).fill(1) },
      ];
    },
    source: (_g, m, inputs) => {
      const li = dims(m);
      const lam = inputOf(inputs, "lambda");
      return projectedSource(
        m,
        inputOf(inputs, "z"),
        { ...opts, d: opts.d - li.m },
        plans,
        (_name, i) => slice(lam, [li.of[i]], [li.of[i] + 1]),
      );
    },
  };
}
