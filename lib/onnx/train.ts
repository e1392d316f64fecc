/**
 * Assemble training and evaluation graphs: loss → gradients → optimizer, with the trainable
 * state as graph inputs and its updated values as outputs, plus a JSON-able spec the session
 * wrapper uses to feed outputs back as the next step's inputs.
 *
 * @module
 */
import { grad } from "./autodiff.ts";
import type { DType } from "./dtype.ts";
import { type Graph, GraphError, type Tensor } from "./graph.ts";
import { applyOptimizer, type OptimizerConfig, type StateSpec } from "./optim.ts";
import { type SerializeOptions, toModelProto } from "./serialize.ts";

/** A graph input the caller feeds each step (the batch, dropout masks). */
export interface InputSpec {
  name: string;
  dtype: DType;
  shape: (number | string)[];
}

/** Everything a session needs to run a training graph step after step. */
export interface TrainSpec {
  kind: "train";
  loss: string;
  /** Trainable parameters: input name → updated output name. */
  params: StateSpec[];
  /** Optimizer state (Adam m, v; SGD momentum), zero-initialised. */
  state: StateSpec[];
  /** Scalar hyper-parameter inputs and their default values. */
  hyper: Record<string, { input: string; value: number }>;
  /** Name of the float32 step input (1 for the first step). */
  step: string;
  /** Inputs fed by the caller each step. */
  batch: InputSpec[];
  /** Extra named outputs (grad_norm, lr, logits, gradients…). */
  extras: Record<string, string>;
}

/** Everything a session needs to run a forward-only graph. */
export interface EvalSpec {
  kind: "eval";
  /** Parameter inputs, fed from a training session's current state. */
  params: string[];
  batch: InputSpec[];
  outputs: Record<string, string>;
}

/** Options of {@link buildTrainGraph}. */
export interface TrainGraphOptions {
  loss: Tensor;
  /** Trainable tensors: graph inputs with static shapes. */
  params: readonly Tensor[];
  optimizer: OptimizerConfig;
  /** Extra outputs computed by the forward pass (e.g. logits). */
  extras?: Record<string, Tensor>;
  /** Also output each parameter's gradient as `<param>.grad`. */
  outputGrads?: boolean;
}

/** Add gradients, optimizer and outputs to `g` (which holds the forward pass); return the spec. */
export function buildTrainGraph(g: Graph, opts: TrainGraphOptions): TrainSpec {
  const { loss, params } = opts;
  for (const p of params) {
    if (p.kind !== "input") {
      throw new GraphError("buildTrainGraph", "trainable params must be graph inputs", [p]);
    }
  }
  const grads = grad(loss, params);
  const opt = applyOptimizer(g, params, grads, opts.optimizer);
  const lossOut = g.output(loss, "loss");
  const stateSpec = (input: Tensor, output: Tensor, init?: number): StateSpec => {
    const out = g.output(output, `${input.name}.next`);
    return {
      input: input.name,
      output: out.name,
      dtype: input.dtype,
      shape: input.shape as number[],
      ...(init === undefined ? {} : { init }),
    };
  };
  const paramSpecs = params.map((p, i) => stateSpec(p, opt.updated[i]));
  const state = opt.state.map((s) => stateSpec(s.input, s.output, s.init));
  const extras: Record<string, string> = {};
  extras.grad_norm = g.output(opt.gradNorm, "grad_norm").name;
  extras.lr = g.output(opt.lrNow, "lr_now").name;
  for (const [k, t] of Object.entries(opts.extras ?? {})) extras[k] = g.output(t, k).name;
  if (opts.outputGrads) {
    params.forEach((
      p,
      i,
    ) => (extras[`${p.name}.grad`] = g.output(grads[i], `${p.name}.grad`).name));
  }
  const carried = new Set<string>([
    ...paramSpecs.map((s) => s.input),
    ...state.map((s) => s.input),
    ...Object.values(opt.hyper).map((h) => h.input.name),
    opt.step.name,
  ]);
  return {
    kind: "train",
    loss: lossOut.name,
    params: paramSpecs,
    state,
    hyper: Object.fromEntries(
      Object.entries(opt.hyper).map(([k, h]) => [k, { input: h.input.name, value: h.value }]),
    ),
    step: opt.step.name,
    batch: g.inputs.filter((t) => !carried.has(t.name)).map(inputSpec),
    extras,
  };
}

function inputSpec(t: Tensor): InputSpec {
  return { name: t.name, dtype: t.dtype, shape: [...t.shape] };
}

/**
 * Mark `outputs` on a forward-only graph; `params` are the inputs a training session's state
 * feeds (by name). Returns the spec.
 */
export function buildEvalGraph(
  g: Graph,
  params: readonly Tensor[],
  outputs: Record<string, Tensor>,
): EvalSpec {
  const out: Record<string, string> = {};
  for (const [k, t] of Object.entries(outputs)) out[k] = g.output(t, k).name;
  const pn = new Set(params.map((p) => p.name));
  return {
    kind: "eval",
    params: params.map((p) => p.name),
    batch: g.inputs.filter((t) => !pn.has(t.name)).map(inputSpec),
    outputs: out,
  };
}

/**
 * Write the model to `path` (the directory should hold any external weights file it references)
 * and its spec to `<path>.json`.
 */
export function saveModel(
  g: Graph,
  path: string,
  spec?: TrainSpec | EvalSpec,
  opts?: SerializeOptions,
): void {
  Deno.writeFileSync(path, toModelProto(g, opts));
  if (spec) Deno.writeTextFileSync(`${path}.json`, JSON.stringify(spec, null, 1));
}
