/**
 * Elementwise ops (Add, Sub, Mul, Div, Neg, Pow, Sqrt, Exp, Log, Tanh, Erf, Sigmoid, Relu,
 * Abs, Min, Max, comparisons, Where, Cast), each with its backward rule beside it.
 *
 * @module
 */
import { type DType, isFloat } from "../dtype.ts";
import { type BackwardRule, type Graph, GraphError, type Tensor } from "../graph.ts";
import { broadcastAxes, broadcastShapes } from "./broadcast.ts";
import { reduceSum } from "./reduce.ts";
import { shapeOf } from "./shape.ts";

/** A tensor or a plain number (made a scalar constant of the other operand's dtype). */
export type Operand = Tensor | number;

function graphOf(op: string, xs: readonly Operand[]): Graph {
  const t = xs.find((x): x is Tensor => typeof x !== "number");
  if (!t) throw new GraphError(op, "needs at least one tensor operand");
  return t.graph;
}

/** Turn numbers into constants of the tensors' dtype and check all dtypes agree. */
export function lift(op: string, xs: readonly Operand[], dtype?: DType): Tensor[] {
  const g = graphOf(op, xs);
  const ts = xs.filter((x): x is Tensor => typeof x !== "number");
  const dt = dtype ?? ts[0].dtype;
  for (const t of ts) {
    if (t.dtype !== dt) {
      throw new GraphError(op, `operand dtypes differ: ${ts.map((x) => x.dtype).join(" vs ")}`, ts);
    }
  }
  return xs.map((x) => (typeof x === "number" ? g.scalar(x, dt) : x));
}

function requireFloat(op: string, ts: readonly Tensor[]): void {
  for (const t of ts) {
    if (!isFloat(t.dtype)) throw new GraphError(op, `expects floating-point operands`, ts);
  }
}

/** Sum `grad` over the axes along which `target` was broadcast, giving target's shape. */
export function unbroadcast(grad: Tensor, target: Tensor): Tensor {
  const { lead, kept } = broadcastAxes(grad.shape, target.shape);
  let g = grad;
  if (kept.length) g = reduceSum(g, kept, true);
  if (lead.length) g = reduceSum(g, lead, false);
  return g;
}

/** Emit a binary broadcasting op. */
function binary(
  op: string,
  a: Operand,
  b: Operand,
  backward?: (a: Tensor, b: Tensor, y: Tensor) => BackwardRule,
  outDtype?: DType,
): Tensor {
  const [x, y] = lift(op, [a, b]);
  const shape = broadcastShapes(op, [x, y]);
  const [out] = x.graph.node({
    op,
    inputs: [x, y],
    outputs: [{ dtype: outDtype ?? x.dtype, shape }],
    noGradReason: backward ? undefined : `${op} has no gradient`,
  });
  if (backward && isFloat(out.dtype)) out.producer!.backward = backward(x, y, out);
  return out;
}

/** a + b (broadcasting). */
export function add(a: Operand, b: Operand): Tensor {
  return binary("Add", a, b, (x, y) => ([g]) => [
    g ? () => unbroadcast(g, x) : null,
    g ? () => unbroadcast(g, y) : null,
  ]);
}

/** a − b (broadcasting). */
export function sub(a: Operand, b: Operand): Tensor {
  return binary("Sub", a, b, (x, y) => ([g]) => [
    g ? () => unbroadcast(g, x) : null,
    g ? () => unbroadcast(neg(g), y) : null,
  ]);
}

/** a · b elementwise (broadcasting). */
export function mul(a: Operand, b: Operand): Tensor {
  return binary("Mul", a, b, (x, y) => ([g]) => [
    g ? () => unbroadcast(mul(g, y), x) : null,
    g ? () => unbroadcast(mul(g, x), y) : null,
  ]);
}

/** a / b elementwise (broadcasting). */
export function div(a: Operand, b: Operand): Tensor {
  return binary("Div", a, b, (x, y, out) => ([g]) => [
    g ? () => unbroadcast(div(g, y), x) : null,
    g ? () => unbroadcast(neg(mul(g, div(out, y))), y) : null,
  ]);
}

/** a ^ b (broadcasting); gradient to both base and exponent. */
export function pow(a: Operand, b: Operand): Tensor {
  requireFloat("Pow", lift("Pow", [a, b]));
  return binary("Pow", a, b, (x, y, out) => ([g]) => [
    g ? () => unbroadcast(mul(g, mul(y, pow(x, sub(y, 1)))), x) : null,
    g ? () => unbroadcast(mul(g, mul(out, log(x))), y) : null,
  ]);
}

/** Elementwise minimum (no gradient). */
export function min(a: Operand, b: Operand): Tensor {
  return binary("Min", a, b);
}

/** Elementwise maximum (no gradient). */
export function max(a: Operand, b: Operand): Tensor {
  return binary("Max", a, b);
}

/** a == b → bool. */
export function equal(a: Operand, b: Operand): Tensor {
  return binary("Equal", a, b, undefined, "bool");
}

/** a < b → bool. */
export function less(a: Operand, b: Operand): Tensor {
  return binary("Less", a, b, undefined, "bool");
}

/** a > b → bool. */
export function greater(a: Operand, b: Operand): Tensor {
  return binary("Greater", a, b, undefined, "bool");
}

/** Emit a unary op whose gradient is `g · dy(x, y)`. */
function unary(
  op: string,
  x: Tensor,
  dydx?: (x: Tensor, y: Tensor, g: Tensor) => Tensor,
  opts: { float?: boolean; noF64?: boolean } = {},
): Tensor {
  if (opts.float !== false) requireFloat(op, [x]);
  if (opts.noF64 && x.dtype === "float64") {
    throw new GraphError(op, "ONNX Runtime's CPU provider has no float64 kernel for this op", [x]);
  }
  const [y] = x.graph.node({
    op,
    inputs: [x],
    outputs: [{ dtype: x.dtype, shape: x.shape }],
    noGradReason: dydx ? undefined : `${op} has no gradient`,
  });
  if (dydx && isFloat(x.dtype)) y.producer!.backward = ([g]) => [g ? () => dydx(x, y, g) : null];
  return y;
}

/** −x. */
export function neg(x: Tensor): Tensor {
  return unary("Neg", x, (_x, _y, g) => neg(g), { float: false });
}

/** √x. */
export function sqrt(x: Tensor): Tensor {
  return unary("Sqrt", x, (_x, y, g) => div(mul(g, 0.5), y));
}

/** eˣ. */
export function exp(x: Tensor): Tensor {
  return unary("Exp", x, (_x, y, g) => mul(g, y));
}

/** ln x. */
export function log(x: Tensor): Tensor {
  return unary("Log", x, (x, _y, g) => div(g, x));
}

/** tanh x. */
export function tanh(x: Tensor): Tensor {
  return unary("Tanh", x, (_x, y, g) => mul(g, sub(1, mul(y, y))));
}

/** Logistic sigmoid. */
export function sigmoid(x: Tensor): Tensor {
  return unary("Sigmoid", x, (_x, y, g) => mul(g, mul(y, sub(1, y))));
}

/** 1 / x. */
export function reciprocal(x: Tensor): Tensor {
  return unary("Reciprocal", x, (_x, y, g) => neg(mul(g, mul(y, y))));
}

/** erf x (float32/float16 only: ORT CPU has no float64 Erf). */
export function erf(x: Tensor): Tensor {
  return unary(
    "Erf",
    x,
    (x, _y, g) => mul(g, mul(2 / Math.sqrt(Math.PI), exp(neg(mul(x, x))))),
    { noF64: true },
  );
}

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return unary("Relu", x, (x, _y, g) => mul(g, cast(greater(x, 0), g.dtype)));
}

/** |x|. */
export function abs(x: Tensor): Tensor {
  return unary("Abs", x, (x, _y, g) => mul(g, sign(x)));
}

/** sign(x) (no gradient). */
export function sign(x: Tensor): Tensor {
  return unary("Sign", x, undefined, { float: false });
}

/** Logical not. */
export function not(x: Tensor): Tensor {
  if (x.dtype !== "bool") throw new GraphError("Not", "expects bool", [x]);
  return unary("Not", x, undefined, { float: false });
}

/** Cast to `dtype`; float→float casts carry the gradient back, integer paths carry none. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const [y] = x.graph.node({
    op: "Cast",
    inputs: [x],
    outputs: [{ dtype, shape: x.shape }],
    attrs: { to: dtypeCode(dtype) },
    noGradReason: `Cast ${x.dtype} → ${dtype} carries no gradient (integer path)`,
  });
  if (isFloat(x.dtype) && isFloat(dtype)) {
    y.producer!.backward = ([g]) => [g ? () => cast(g, x.dtype) : null];
  }
  return y;
}

function dtypeCode(dtype: DType): number {
  return { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 }[
    dtype
  ];
}

/** where(cond, a, b): a where cond is true, else b (broadcasting). */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== "bool") throw new GraphError("Where", "condition must be bool", [cond]);
  const [x, y] = lift("Where", [a, b]);
  const shape = broadcastShapes("Where", [cond, x, y]);
  const [out] = cond.graph.node({
    op: "Where",
    inputs: [cond, x, y],
    outputs: [{ dtype: x.dtype, shape }],
    diffInputs: [x, y],
  });
  if (isFloat(x.dtype)) {
    out.producer!.backward = ([g]) => [
      g ? () => unbroadcast(where(cond, g, 0), x) : null,
      g ? () => unbroadcast(where(cond, 0, g), y) : null,
    ];
  }
  return out;
}

/** Identity that blocks gradients. */
export function stopGradient(x: Tensor): Tensor {
  const [y] = x.graph.node({
    op: "Identity",
    inputs: [x],
    outputs: [{ dtype: x.dtype, shape: x.shape }],
    noGradReason: "stopGradient",
  });
  return y;
}

/** Identity (gradient passes through). */
export function identity(x: Tensor): Tensor {
  const [y] = x.graph.node({
    op: "Identity",
    inputs: [x],
    outputs: [{ dtype: x.dtype, shape: x.shape }],
  });
  y.producer!.backward = ([g]) => [g ? () => g : null];
  return y;
}

/**
 * Sum of tensors (broadcasting) as a balanced tree of two-input Adds (used to accumulate
 * fan-out gradients). Not one variadic Sum node: ORT's WebGPU EP has no Sum kernel, so a Sum
 * runs on the CPU with device↔host copies around it; Add runs on every EP. The tree keeps the
 * depth at ⌈log2 n⌉ and each Add's backward is the plain (unbroadcast) pass-through.
 */
export function sumAll(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new GraphError("Sum", "needs at least one input");
  broadcastShapes("Sum", xs);
  let level: Tensor[] = [...xs];
  while (level.length > 1) {
    const next: Tensor[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(add(level[i], level[i + 1]));
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/** Zeros shaped like `x` (built at run time from x's shape). */
export function zerosLike(x: Tensor): Tensor {
  const [y] = x.graph.node({
    op: "ConstantOfShape",
    inputs: [shapeOf(x)],
    outputs: [{ dtype: x.dtype, shape: x.shape }],
    attrs: { value: { tensor: { dtype: x.dtype, shape: [1], data: zero(x.dtype) } } },
  });
  return y;
}

function zero(dtype: DType) {
  switch (dtype) {
    case "float64":
      return new Float64Array(1);
    case "int64":
      return new BigInt64Array(1);
    case "int32":
      return new Int32Array(1);
    case "float16":
      return new Uint16Array(1);
    case "float32":
      return new Float32Array(1);
    default:
      return new Uint8Array(1);
  }
}
