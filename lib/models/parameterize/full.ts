/**
 * Full fine-tuning: every tensor the graph reads is trainable, named `param/<name>`, initialised
 * to θ0. The baseline every 90% target is measured against.
 *
 * @module
 */
import type { Tensor } from "../../onnx/mod.ts";
import type { ParamSource } from "../encoder.ts";
import { inputOf, type Parameterization, theta0 } from "./common.ts";

/** The trainable input name of parameter `name`. */
export const fullName = (name: string): string => `param/${name}`;

/** Full fine-tuning. */
export const full: Parameterization = {
  trainables: (m) =>
    m.specs.map((s) => ({ name: fullName(s.name), shape: s.shape, init: theta0(m, s.name) })),
  source: (_g, _m, inputs: Map<string, Tensor>): ParamSource => ({
    weight: (name) => inputOf(inputs, fullName(name)),
  }),
};
