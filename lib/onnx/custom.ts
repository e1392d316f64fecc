/**
 * Composite ops with an explicit backward: `customGrad(inputs, forward, backward)`.
 * The forward's inner nodes run as usual, but autodiff sees one node from `inputs` to the
 * outputs and uses `backward` instead of differentiating the inner nodes.
 *
 * @module
 */
import { type GradThunk, GraphError, type Tensor } from "./graph.ts";

/** The backward of a composite: output gradients (undefined where none) → input gradients. */
export type CustomBackward = (
  grads: readonly (Tensor | undefined)[],
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
) => readonly (Tensor | null | undefined | (() => Tensor))[];

/** The group of Identity nodes that make up one composite's outputs. */
export interface Composite {
  inputs: readonly Tensor[];
  outputs: Tensor[];
  backward: (grads: readonly (Tensor | undefined)[]) => readonly GradThunk[];
  opType: string;
}

/** Map from a composite output's producer (an Identity node) to its composite. */
export const COMPOSITES: WeakMap<object, Composite> = new WeakMap();

/**
 * Define a composite op with an explicit backward. `forward` builds the outputs from `inputs`;
 * `backward(grads, inputs, outputs)` returns one gradient per input (a tensor, a thunk, or
 * null for none). Returns the composite's outputs.
 */
export function customGrad(
  inputs: readonly Tensor[],
  forward: (...xs: Tensor[]) => Tensor | Tensor[],
  backward: CustomBackward,
  opType = "customGrad",
): Tensor[] {
  if (inputs.length === 0) throw new GraphError(opType, "needs at least one input");
  const g = inputs[0].graph;
  const inner = forward(...inputs);
  const raw = Array.isArray(inner) ? inner : [inner];
  const outs = raw.map((t) =>
    g.node({
      op: "Identity",
      inputs: [t],
      outputs: [{ dtype: t.dtype, shape: t.shape }],
      diffInputs: inputs,
    })[0]
  );
  const comp: Composite = {
    inputs,
    outputs: outs,
    opType,
    backward: (grads) => {
      const res = backward(grads, inputs, outs);
      if (res.length !== inputs.length) {
        throw new GraphError(
          opType,
          `backward returned ${res.length} gradients for ${inputs.length} inputs`,
        );
      }
      return res.map((r) => (r == null ? null : typeof r === "function" ? r : () => r));
    },
  };
  for (const o of outs) COMPOSITES.set(o.producer!, comp);
  return outs;
}
