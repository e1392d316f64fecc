/**
 * The typed graph builder: symbolic tensors (dtype + shape, symbolic dims allowed), nodes
 * with their backward rules, graph inputs, initializers (embedded or external data) and
 * constants. Ops live in `ops/`; they call {@link Graph.node} and attach a backward rule.
 *
 * @module
 */
import { type DType, DTYPE_SIZE, isFloat, toTypedArray, type TypedArray } from "./dtype.ts";

/** A dimension: a number, a named symbol ("B", "S"), or an unknown ("?3", made by ops). */
export type Dim = number | string;
/** A tensor shape. */
export type Shape = readonly Dim[];

/** An attribute value. Plain numbers are INT attributes; wrap floats with {@link f}. */
export type Attr =
  | number
  | bigint
  | string
  | readonly number[]
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] }
  | { readonly tensor: ConstData };

/** Mark a FLOAT attribute. */
export function f(value: number): { float: number } {
  return { float: value };
}

/** Data of a constant or embedded initializer. */
export interface ConstData {
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

/** Where an externally stored initializer lives: a file relative to the model's directory. */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

/** A thunk that builds one input's gradient, or null when that input gets none. */
export type GradThunk = (() => Tensor) | null | undefined;
/**
 * A backward rule: given the gradients of a node's outputs (undefined where an output got
 * none), return one thunk per differentiable input. Thunks are only called for inputs whose
 * gradient is needed, so rules never build unused backward nodes.
 */
export type BackwardRule = (grads: readonly (Tensor | undefined)[]) => readonly GradThunk[];

/** One node of the graph. */
export interface Node {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  /** ONNX inputs (null = an omitted optional input). */
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: Tensor[];
  readonly attrs: Readonly<Record<string, Attr>>;
  /** The inputs autodiff sees (the ONNX inputs, or a composite's inputs). */
  diffInputs: readonly Tensor[];
  /** The backward rule; undefined = no gradient flows through this node. */
  backward?: BackwardRule;
  /** Why no gradient flows (shown in errors), when `backward` is undefined on purpose. */
  noGradReason?: string;
}

/** A symbolic tensor: a value in a graph with a name, element type and shape. */
export class Tensor {
  /** @internal */
  constructor(
    readonly graph: Graph,
    public name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly producer?: Node,
    readonly kind: "node" | "input" | "initializer" = "node",
  ) {}

  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** `name: float32[B,S,256]`, for error messages. */
  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(",")}]`;
  }
}

/** A build-time error naming the op and the offending tensors. */
export class GraphError extends Error {
  constructor(op: string, message: string, tensors: readonly (Tensor | null | undefined)[] = []) {
    const parts = tensors.filter((t): t is Tensor => !!t).map((t) => t.toString());
    super(`${op}: ${message}${parts.length ? ` (${parts.join("; ")})` : ""}`);
    this.name = "GraphError";
  }
}

/** An initializer: embedded data or a reference into an external weights file. */
export interface Initializer {
  tensor: Tensor;
  data?: TypedArray;
  external?: ExternalRef;
}

/** Spec of one output of {@link Graph.node}. */
export interface OutSpec {
  dtype: DType;
  shape: Shape;
  name?: string;
}

/** Arguments of {@link Graph.node}. */
export interface NodeSpec {
  op: string;
  inputs: readonly (Tensor | null)[];
  outputs: readonly OutSpec[];
  attrs?: Record<string, Attr>;
  domain?: string;
  /** Defaults to the non-null ONNX inputs. */
  diffInputs?: readonly Tensor[];
  backward?: BackwardRule;
  noGradReason?: string;
}

/**
 * ai.onnx ops that ONNX Runtime 1.30's CPU provider runs (the subset idim may emit); {@link
 * Graph.node} refuses others at build time. com.microsoft ops are allowed by domain.
 */
export const SUPPORTED_OPS: ReadonlySet<string> = new Set(
  (
    "Abs Add And ArgMax ArgMin Cast Ceil Clip Concat Constant ConstantOfShape CumSum Div Dropout " +
    "Einsum Equal Erf Exp Expand Flatten Floor Gather GatherElements GatherND Gelu Gemm Greater " +
    "GreaterOrEqual Identity LayerNormalization Less LessOrEqual Log LogSoftmax MatMul Max Min Mod " +
    "Mul Neg Not OneHot Or Pad Pow RandomNormalLike RandomUniformLike Range Reciprocal ReduceL2 " +
    "ReduceMax ReduceMean ReduceMin ReduceSum ReduceSumSquare Relu Reshape ScatterElements " +
    "ScatterND Shape Sigmoid Sign Size Slice Softmax SoftmaxCrossEntropyLoss Split Sqrt Squeeze Sub " +
    "Sum Tanh Tile TopK Transpose Trilu Unsqueeze Where Xor"
  ).split(" "),
);

/** Whether a dim is an op-made unknown. */
export function isUnknown(d: Dim): boolean {
  return typeof d === "string" && d.startsWith("?");
}

/** Whether two dims can be equal at run time (unknowns match anything). */
export function dimsMatch(a: Dim, b: Dim): boolean {
  return a === b || isUnknown(a) || isUnknown(b);
}

/** Product of static dims, or undefined when any dim is symbolic. */
export function numel(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    n *= d;
  }
  return n;
}

/** A graph under construction. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly initializers = new Map<string, Initializer>();
  readonly outputs: Tensor[] = [];
  readonly names = new Set<string>();
  #counter = 0;
  #constCache = new Map<string, Tensor>();

  /** @param name graph name, written into the model. */
  constructor(readonly name = "idim") {}

  /** A fresh unknown dim. */
  unknownDim(): string {
    return `?${++this.#counter}`;
  }

  /** A name not used yet, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.#counter}`;
    this.names.add(name);
    return name;
  }

  #claim(name: string, what: string): void {
    if (this.names.has(name)) throw new GraphError(what, `name "${name}" is already used`);
    this.names.add(name);
  }

  /** A graph input (fed at run time). String dims are symbolic (e.g. "B", "S"). */
  input(name: string, dtype: DType, shape: Shape): Tensor {
    this.#claim(name, "input");
    const t = new Tensor(this, name, dtype, shape, undefined, "input");
    this.inputs.push(t);
    return t;
  }

  /** An initializer with its data embedded in the model. */
  initializer(name: string, dtype: DType, shape: readonly number[], data: TypedArray): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) {
      throw new GraphError("initializer", `"${name}" has ${data.length} values, shape needs ${n}`);
    }
    this.#claim(name, "initializer");
    return this.#addInit(name, dtype, shape, data);
  }

  #addInit(name: string, dtype: DType, shape: readonly number[], data: TypedArray): Tensor {
    const t = new Tensor(this, name, dtype, shape, undefined, "initializer");
    this.initializers.set(name, { tensor: t, data });
    return t;
  }

  /**
   * An initializer stored as external data at (`location`, `offset`, `length`), `location`
   * relative to the model file's directory. ORT memory-maps it when the model is loaded by path.
   */
  external(name: string, dtype: DType, shape: readonly number[], ref: ExternalRef): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    if (ref.length !== n * DTYPE_SIZE[dtype]) {
      throw new GraphError(
        "external",
        `"${name}" ${dtype}[${shape}] needs ${n * DTYPE_SIZE[dtype]} bytes, ref has ${ref.length}`,
      );
    }
    this.#claim(name, "external");
    const t = new Tensor(this, name, dtype, shape, undefined, "initializer");
    this.initializers.set(name, { tensor: t, external: { ...ref } });
    return t;
  }

  /**
   * A constant. Numbers become a scalar (or a 1-D tensor for arrays) unless `shape` is given.
   * Small constants are deduplicated.
   */
  constant(
    values: number | readonly number[] | TypedArray,
    dtype: DType = "float32",
    shape?: readonly number[],
  ): Tensor {
    const arr: TypedArray = typeof values === "number"
      ? toTypedArray(dtype, [values])
      : ArrayBuffer.isView(values)
      ? values as TypedArray
      : toTypedArray(dtype, values as number[]);
    const shp = shape ?? (typeof values === "number" ? [] : [arr.length]);
    let key: string | undefined;
    if (arr.length <= 16) {
      key = `${dtype}|${shp.join(",")}|${Array.from(arr as ArrayLike<number | bigint>).join(",")}`;
      const hit = this.#constCache.get(key);
      if (hit) return hit;
    }
    const t = this.#addInit(this.uniqueName("const"), dtype, shp, arr);
    if (key) this.#constCache.set(key, t);
    return t;
  }

  /** A scalar constant of `dtype`. */
  scalar(value: number, dtype: DType = "float32"): Tensor {
    return this.constant(value, dtype);
  }

  /** An int64 1-D constant (shapes, axes, pads). */
  ints(values: readonly number[]): Tensor {
    return this.constant(values, "int64");
  }

  /** Emit a node; returns its outputs. Ops call this after checking shapes. */
  node(spec: NodeSpec): Tensor[] {
    const domain = spec.domain ?? "";
    if (domain === "" && !SUPPORTED_OPS.has(spec.op)) {
      throw new GraphError(
        spec.op,
        `unsupported op: not in the ONNX Runtime CPU op set idim emits (see SUPPORTED_OPS)`,
        spec.inputs,
      );
    }
    for (const t of spec.inputs) {
      if (t && t.graph !== this) {
        throw new GraphError(spec.op, `input ${t.name} belongs to another graph`);
      }
    }
    const name = this.uniqueName(`${spec.op}_${this.nodes.length}`);
    const outputs: Tensor[] = [];
    const node: Node = {
      opType: spec.op,
      domain: spec.domain ?? "",
      name,
      inputs: spec.inputs,
      outputs,
      attrs: spec.attrs ?? {},
      diffInputs: spec.diffInputs ?? spec.inputs.filter((t): t is Tensor => !!t),
      backward: spec.backward,
      noGradReason: spec.noGradReason,
    };
    for (const o of spec.outputs) {
      const oname = o.name ? (this.#claim(o.name, spec.op), o.name) : this.uniqueName(
        `${spec.op.toLowerCase()}_${this.nodes.length}`,
      );
      outputs.push(new Tensor(this, oname, o.dtype, o.shape, node));
    }
    this.nodes.push(node);
    return outputs;
  }

  /** Mark `t` as a graph output called `name` (adds an Identity when needed). */
  output(t: Tensor, name?: string): Tensor {
    let out = t;
    const taken = name !== undefined && name !== t.name && this.names.has(name);
    if (taken) throw new GraphError("output", `name "${name}" is already used`);
    if (t.kind !== "node" || this.outputs.includes(t) || t.producer?.opType === "Constant") {
      [out] = this.node({
        op: "Identity",
        inputs: [t],
        outputs: [{ dtype: t.dtype, shape: t.shape, name }],
        backward: ([g]) => [g ? () => g : null],
      });
    } else if (name !== undefined && name !== t.name) {
      this.names.delete(t.name);
      this.names.add(name);
      t.name = name;
    }
    this.outputs.push(out);
    return out;
  }

  /** Whether a tensor's dtype can carry gradients. */
  static differentiable(t: Tensor): boolean {
    return isFloat(t.dtype);
  }
}
