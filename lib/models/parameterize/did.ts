/**
 * DID (Li et al. 2018; Aghajanyan et al. 2020): θ = θ0 + P z, z ∈ R^d initialised to 0, with P a
 * Fastfood projection. Every tensor the graph reads is moved (embeddings, LayerNorm, biases, the
 * head). Per-tensor projections (default: tensor i uses Fastfood stream i, all sharing z; run
 * batched by padded length, `fastfood_batch.ts`, when `FASTFOOD_BATCHED`) or one global projection over all tensors
 * concatenated in `specs` order (stream 0), sliced per tensor.
 *
 * SAID reuses this with per-tensor (or per-layer) scales: θ_i = θ0_i + λ_k(i) (P z)_i.
 *
 * @module
 */
import type { Tensor } from "../../onnx/mod.ts";
import type { ParamSource } from "../encoder.ts";
import { embeddedStore, type FastfoodPlan, fastfoodProject, seededPlan } from "../fastfood.ts";
import { fastfoodProjectBatch } from "../fastfood_batch.ts";
import { add, mul, reshape, split } from "../ops.ts";
import { numel } from "../params.ts";
import { frozen, inputOf, type ModelContext, type Parameterization } from "./common.ts";

/**
 * Whether per-tensor projections run batched (`fastfood_batch.ts`) unless `DidOptions.batched`
 * says otherwise. Off: at roberta-large DID on CPU the batched graph (7,243 nodes against 22,509)
 * steps as fast once warm (10.4–11.1 s against 10.0–10.7 s) but peaks at 18.1 GiB against 14.4
 * and warms up over four steps instead of two (`deno task bench models --methods did --fastfood
 * batched`); on a GPU, where the node count is the cost, it is the path to measure.
 */
export const FASTFOOD_BATCHED = false;

/** Options of DID. */
export interface DidOptions {
  /** Subspace dimension d. */
  d: number;
  /** `per-tensor` (default) or `global`. */
  projection?: "per-tensor" | "global";
  /** Seed of the projections. */
  seed: number;
  /** Per-tensor projections batched by padded length (default {@link FASTFOOD_BATCHED}). */
  batched?: boolean;
}

/**
 * The Fastfood-moved source: for each tensor name, θ0 + scaleOf(name) ⊙ (P z)_name.
 * `scaleOf` returns undefined for DID and a λ tensor for SAID.
 */
export function projectedSource(
  m: ModelContext,
  z: Tensor,
  opts: DidOptions,
  plans: Map<string, FastfoodPlan>,
  scaleOf: (name: string, i: number) => Tensor | undefined,
): ParamSource {
  const g = z.graph;
  const base = frozen(g, m);
  const d = z.shape[0] as number;
  const store = m.store ?? embeddedStore;
  const cache = new Map<string, Tensor>();
  let globalParts: Map<string, Tensor> | undefined;
  let batched: Tensor[] | undefined;
  const total = m.specs.reduce((n, s) => n + numel(s.shape), 0);
  const plan = (key: string, D: number, stream: number) => {
    let p = plans.get(key);
    if (!p) plans.set(key, p = seededPlan(D, d, opts.seed, stream));
    return p;
  };
  return {
    weight(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const i = m.specs.findIndex((s) => s.name === name);
      if (i < 0) return base.weight(name);
      const spec = m.specs[i];
      const D = numel(spec.shape);
      let pz: Tensor;
      if (opts.projection === "global") {
        // One Split into every tensor's part: its gradient is one Concat, where a Slice per
        // tensor would pad each part's gradient back to the full length and add them all.
        globalParts ??= new Map(
          split(
            fastfoodProject(z, plan("global", total, 0), "fastfood/global", store),
            m.specs.map((s) => numel(s.shape)),
            0,
          ).map((t, k) => [m.specs[k].name, t]),
        );
        pz = globalParts.get(name)!;
      } else if (opts.batched ?? FASTFOOD_BATCHED) {
        batched ??= fastfoodProjectBatch(
          z,
          m.specs.map((s, k) => {
            const Dk = numel(s.shape);
            return { D: Dk, plan: () => plan(s.name, Dk, k) };
          }),
          "fastfood",
          { store },
        );
        pz = batched[i];
      } else {
        pz = fastfoodProject(z, plan(name, D, i), `fastfood/${name}`, store);
      }
      const lam = scaleOf(name, i);
      if (lam) pz = mul(pz, lam);
      const t = add(base.weight(name), reshape(pz, spec.shape));
      cache.set(name, t);
      return t;
    },
  };
}

/** DID with d dimensions. */
export function did(opts: DidOptions): Parameterization {
  if (!(Number.isInteger(opts.d) && opts.d >= 1)) {
    throw new Error(`DID: d must be an integer ≥ 1, got ${opts.d}`);
  }
  const plans = new Map<string, FastfoodPlan>();
  return {
    trainables: () => [{ name: "z", shape: [opts.d], init: new Float32Array(opts.d) }],
    source: (_g, m, inputs) =>
      projectedSource(m, inputOf(inputs, "z"), opts, plans, () => undefined),
  };
}
