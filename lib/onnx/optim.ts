/**
 * Optimizers emitted into the training graph: Adam, AdamW (bias correction, decoupled weight
 * decay, as torch.optim), SGD with momentum (optionally Nesterov), gradient clipping by global
 * norm, and a linear warm-up / linear decay learning-rate schedule driven by a `step` input.
 *
 * @module
 */
import type { DType } from "./dtype.ts";
import { type Graph, GraphError, type Shape, type Tensor } from "./graph.ts";
import {
  add,
  cast,
  div,
  less,
  max,
  min,
  mul,
  pow,
  sqrt,
  sub,
  sumAll,
  where,
} from "./ops/elementwise.ts";
import { concat, split } from "./ops/shape.ts";

/** Optimizer configuration. Numbers here are defaults; lr and the schedule are graph inputs. */
export interface OptimizerConfig {
  type: "adam" | "adamw" | "sgd";
  /** Base learning rate (fed each step through the `lr` input; change with setHyper). */
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam: L2 added to the gradient (torch Adam); AdamW: decoupled; SGD: L2. Default 0. */
  weightDecay?: number;
  /** SGD momentum (default 0: plain SGD). */
  momentum?: number;
  nesterov?: boolean;
  /** Clip gradients to this global L2 norm (torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
  /**
   * Linear warm-up then linear decay to 0 (as transformers' get_linear_schedule_with_warmup;
   * step s uses factor(s−1)). Values are defaults of the `warmup_steps` / `total_steps` inputs.
   */
  schedule?: { warmupSteps: number; totalSteps: number };
}

/** One tensor the session carries from step to step: graph input → graph output. */
export interface StateSpec {
  input: string;
  output: string;
  dtype: DType;
  shape: number[];
  /** Initial fill for optimizer state (params are initialised by the caller). */
  init?: number;
}

/** What {@link applyOptimizer} added to the graph. */
export interface OptimizerResult {
  /** Updated parameters, in the order given. */
  updated: Tensor[];
  /** Optimizer state carried between steps. */
  state: { input: Tensor; output: Tensor; init: number }[];
  /** Scalar inputs: name → [tensor, default value]. */
  hyper: Record<string, { input: Tensor; value: number }>;
  /** The step input (float32 scalar, 1 for the first step). */
  step: Tensor;
  /** Global gradient norm before clipping (float32 scalar). */
  gradNorm: Tensor;
  /** The learning rate used this step. */
  lrNow: Tensor;
}

function staticShape(p: Tensor): number[] {
  if (p.shape.some((d) => typeof d !== "number")) {
    throw new GraphError("optimizer", "parameters need static shapes", [p]);
  }
  return p.shape as number[];
}

/** Σ t² over every element (one ReduceSumSquare pass; no gradient). */
function sumOfSquares(t: Tensor): Tensor {
  const [y] = t.graph.node({
    op: "ReduceSumSquare",
    inputs: [t],
    outputs: [{ dtype: t.dtype, shape: [] }],
    attrs: { keepdims: 0 },
    noGradReason: "the optimizer's norm carries no gradient",
  });
  return y;
}

/** Global L2 norm of a list of tensors (float32 scalar). */
export function globalNorm(ts: readonly Tensor[]): Tensor {
  const s = ts.map((t) => cast(sumOfSquares(t), "float32"));
  return sqrt(s.length === 1 ? s[0] : sumAll(s));
}

/** The factor torch's clip_grad_norm_ scales gradients by: min(maxNorm / (norm + 1e−6), 1). */
export function clipCoefficient(norm: Tensor, maxNorm: number): Tensor {
  return min(div(maxNorm, add(norm, 1e-6)), 1);
}

/** Scale `grads` so their global norm is at most `maxNorm` (as torch's clip_grad_norm_). */
export function clipByGlobalNorm(
  grads: readonly Tensor[],
  maxNorm: number,
  norm: Tensor = globalNorm(grads),
): Tensor[] {
  const coef = clipCoefficient(norm, maxNorm);
  return grads.map((g) => mul(g, cast(coef, g.dtype)));
}

/** Linear warm-up then linear decay factor for 1-based `step`. */
export function linearSchedule(step: Tensor, warmup: Tensor, total: Tensor): Tensor {
  const s = sub(step, 1);
  const up = div(s, max(warmup, 1));
  const down = max(div(sub(total, s), max(sub(total, warmup), 1)), 0);
  return where(less(s, warmup), up, down);
}

/**
 * Append the optimizer update of `params` (graph inputs) given their `grads`.
 * State inputs are named `<param>.m`, `<param>.v` (Adam) or `<param>.mom` (SGD).
 *
 * Adam/AdamW pass over each tensor as few times as the ONNX op set allows (13 elementwise ops
 * and one ReduceSumSquare per tensor): per-step scalars (bias corrections, clip coefficient,
 * learning rate) are folded into the scalar operands —
 *   m' = b1·m + ((1 − b1)·coef)·g,   v' = b2·v + ((1 − b2)·coef²)·g²,
 *   p' = decay·p − (lr·√bc2 / bc1) · m' / (√v' + eps·√bc2)
 * which is torch's update (p −= lr/bc1 · m' / (√v'/√bc2 + eps)) up to float rounding. Rank-1
 * parameters (biases, LayerNorm) are concatenated into one vector per dtype and updated at once
 * (their moments Split back per tensor), so the state keeps its per-tensor names and shapes.
 */
export function applyOptimizer(
  g: Graph,
  params: readonly Tensor[],
  grads: readonly Tensor[],
  cfg: OptimizerConfig,
): OptimizerResult {
  if (params.length !== grads.length) throw new GraphError("optimizer", "params/grads mismatch");
  const step = g.input("step", "float32", []);
  const lrIn = g.input("lr", "float32", []);
  const hyper: OptimizerResult["hyper"] = { lr: { input: lrIn, value: cfg.lr } };
  let lr: Tensor = lrIn;
  if (cfg.schedule) {
    const w = g.input("warmup_steps", "float32", []);
    const t = g.input("total_steps", "float32", []);
    hyper.warmup_steps = { input: w, value: cfg.schedule.warmupSteps };
    hyper.total_steps = { input: t, value: cfg.schedule.totalSteps };
    lr = mul(lr, linearSchedule(step, w, t));
  }
  const adam = cfg.type === "adam" || cfg.type === "adamw";
  const groups = adam ? vectorGroups(params) : params.map((_, i) => [i]);
  const flatGrads = groups.map((ix) =>
    ix.length > 1 ? concat(ix.map((i) => grads[i]), 0) : grads[ix[0]]
  );
  const norm = globalNorm(flatGrads);
  const coef = cfg.clipNorm !== undefined ? clipCoefficient(norm, cfg.clipNorm) : undefined;
  const state: OptimizerResult["state"] = [];
  const slot = (p: Tensor, suffix: string, init = 0) => {
    const input = g.input(`${p.name}.${suffix}`, p.dtype, staticShape(p) as Shape);
    return { input, init };
  };
  const wd = cfg.weightDecay ?? 0;
  const updated: Tensor[] = [];
  if (adam) {
    const b1 = cfg.beta1 ?? 0.9, b2 = cfg.beta2 ?? 0.999, eps = cfg.eps ?? 1e-8;
    // Scalars shared by all params.
    const bc1 = sub(1, pow(g.scalar(b1), step));
    const rbc2 = sqrt(sub(1, pow(g.scalar(b2), step)));
    const stepSize32 = div(mul(lr, rbc2), bc1);
    const epsHat32 = mul(rbc2, eps);
    const decay32 = sub(1, mul(lr, wd));
    // Adam's L2 term joins the gradient before the moments, so the clip factor cannot be
    // folded into their coefficients there.
    const foldClip = coef !== undefined && !(cfg.type === "adam" && wd);
    const k1_32 = foldClip ? mul(coef, 1 - b1) : g.scalar(1 - b1);
    const k2_32 = foldClip ? mul(mul(coef, coef), 1 - b2) : g.scalar(1 - b2);
    groups.forEach((ix, gi) => {
      const ps = ix.map((i) => params[i]);
      const dt = ps[0].dtype;
      const [stepSize, epsHat, decay, k1, k2] = [stepSize32, epsHat32, decay32, k1_32, k2_32]
        .map((x) => cast(x, dt));
      const ms = ps.map((p) => slot(p, "m")), vs = ps.map((p) => slot(p, "v"));
      const cat = (ts: Tensor[]) => (ts.length > 1 ? concat(ts, 0) : ts[0]);
      const p = cat(ps);
      let gr = flatGrads[gi];
      if (coef !== undefined && !foldClip) gr = mul(gr, cast(coef, dt));
      if (cfg.type === "adam" && wd) gr = add(gr, mul(p, wd));
      const m2 = add(mul(cat(ms.map((m) => m.input)), b1), mul(gr, k1));
      const v2 = add(mul(cat(vs.map((v) => v.input)), b2), mul(mul(gr, gr), k2));
      const upd = mul(div(m2, add(sqrt(v2), epsHat)), stepSize);
      const base = cfg.type === "adamw" && wd ? mul(p, decay) : p;
      const sizes = ps.map((t) => t.shape[0] as number);
      const parts = (t: Tensor) => (ps.length > 1 ? split(t, sizes, 0) : [t]);
      updated.push(...parts(sub(base, upd)));
      const [m2s, v2s] = [parts(m2), parts(v2)];
      ps.forEach((_, k) => state.push({ ...ms[k], output: m2s[k] }, { ...vs[k], output: v2s[k] }));
    });
  } else if (cfg.type === "sgd") {
    const mu = cfg.momentum ?? 0;
    params.forEach((p, i) => {
      let gr = coef !== undefined ? mul(grads[i], cast(coef, p.dtype)) : grads[i];
      if (wd) gr = add(gr, mul(p, wd));
      let d = gr;
      if (mu) {
        const b = slot(p, "mom");
        // torch: buf = mu·buf + g (first step: buf = g, which this is since buf starts at 0).
        const b2 = add(mul(b.input, mu), gr);
        state.push({ ...b, output: b2 });
        d = cfg.nesterov ? add(gr, mul(b2, mu)) : b2;
      }
      updated.push(sub(p, mul(d, cast(lr, p.dtype))));
    });
  } else {
    throw new GraphError("optimizer", `unknown optimizer type ${(cfg as { type: string }).type}`);
  }
  // Groups list params out of order: put the updates back in the order given.
  const order = groups.flat();
  const byParam: Tensor[] = [];
  order.forEach((i, k) => (byParam[i] = updated[k]));
  return { updated: byParam, state, hyper, step, gradNorm: norm, lrNow: lr };
}

/**
 * Index groups the optimizer updates together: every rank-1 parameter of one dtype (biases,
 * LayerNorm scales) as one concatenated vector, so their ~14 small ops run once instead of once
 * per tensor; every other parameter alone.
 */
function vectorGroups(params: readonly Tensor[]): number[][] {
  const vec = new Map<string, number[]>();
  const out: number[][] = [];
  params.forEach((p, i) => {
    if (p.rank !== 1) return out.push([i]);
    const l = vec.get(p.dtype);
    if (l) l.push(i);
    else vec.set(p.dtype, [i]);
  });
  return [...out, ...vec.values()];
}
