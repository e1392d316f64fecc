/**
 * Session wrappers over onnxruntime-node. {@link TrainSession} holds the trainable state
 * (params, optimizer moments) as ort.Tensors, feeds each step's outputs back as the next
 * step's inputs without copying (ORT reads inputs zero-copy; outputs arrive in fresh
 * buffers that simply become the next inputs), reuses its scalar input buffers, and offers
 * getState/setState for checkpoints. {@link EvalSession} runs forward-only graphs on the same
 * state.
 *
 * Allocation: ORT copies every output into a fresh buffer, so large state means large fresh
 * allocations each step. glibc returns them to the OS and maps them again unless the process
 * is started with e.g. `MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184`
 * (set by the launcher: glibc reads them at start-up). See README.md.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { type DType, type TypedArray } from "./dtype.ts";
import { Graph } from "./graph.ts";
import { toModelProto } from "./serialize.ts";
import type { EvalSpec, InputSpec, TrainSpec } from "./train.ts";

/** Session options. */
export interface SessionOptions {
  /** Execution providers by name, in preference order (default ["cpu"]). */
  executionProviders?: ("cpu" | "cuda" | "webgpu")[];
  /** Threads for intra-op parallelism (default: ORT's choice). */
  intraOpNumThreads?: number;
  /** Keep external weights memory-mapped and shared instead of prepacked copies per session. */
  disablePrepacking?: boolean;
  /**
   * ORT's memory pattern: one block pre-planned for a run's intermediates after the first run
   * (default true). Off trades a few percent of step time for less peak memory on huge graphs.
   */
  memoryPattern?: boolean;
  /** ORT graph optimization level (default "all"). */
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /**
   * TrainSession only, WebGPU only (ignored unless "webgpu" is the first provider): keep the
   * carried state (trainable params, optimizer moments) on the GPU between steps. ORT returns
   * those outputs as WebGPU buffers (`preferredOutputLocation: "gpu-buffer"`), and the next
   * step takes them back as inputs without a device→host→device round trip. onnxruntime-node
   * 1.30 cannot download such a tensor (`getData()` is "not implemented"), so reading the state
   * (`get`, `getState`, `paramTensors`) first needs `await syncToHost()`, which copies it back
   * through a small Identity session on the same EP.
   */
  stateOnDevice?: boolean;
  /**
   * Write ORT's per-node profile (Chrome trace JSON) to `<profile>_<date>.json`; the file is
   * written by `endProfiling()` (see `summarizeProfile` in profile.ts).
   */
  profile?: string;
}

/** Translate {@link SessionOptions} to ORT's. */
export function ortOptions(o: SessionOptions = {}): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: o.executionProviders ?? ["cpu"],
    graphOptimizationLevel: o.graphOptimizationLevel ?? "all",
  };
  if (o.intraOpNumThreads) {
    opts.intraOpNumThreads = o.intraOpNumThreads;
    opts.interOpNumThreads = 1;
  }
  if (o.disablePrepacking) {
    opts.extra = { session: { disable_prepacking: "1" } };
  }
  if (o.memoryPattern === false) opts.enableMemPattern = false;
  if (o.profile) {
    opts.enableProfiling = true;
    opts.profileFilePrefix = o.profile;
  }
  return opts;
}

/** A batch value: an ort.Tensor, or data + dims (wrapped without copying). */
export type Feed = ort.Tensor | { data: TypedArray; dims: readonly number[] };

function toTensor(spec: InputSpec | { name: string; dtype: DType }, v: Feed): ort.Tensor {
  if (v instanceof ort.Tensor) return v;
  return new ort.Tensor(spec.dtype as "float32", v.data as Float32Array, v.dims);
}

function zeros(dtype: DType, shape: readonly number[], fill = 0): ort.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === "float64"
    ? new Float64Array(n).fill(fill)
    : new Float32Array(n).fill(fill);
  return new ort.Tensor(dtype as "float32", data, shape);
}

/** A checkpoint: step count, hyper-parameters and copies of every carried tensor. */
export interface TrainState {
  step: number;
  hyper: Record<string, number>;
  tensors: Record<string, TypedArray>;
}

/** Runs a training graph step after step, carrying params and optimizer state in JS. */
export class TrainSession {
  #session: ort.InferenceSession;
  #spec: TrainSpec;
  #feeds: Record<string, ort.Tensor> = {};
  #scalars: Record<string, Float32Array> = {};
  #fetches: string[];
  #stepCount = 0;
  #opts: SessionOptions = {};
  /** True while the carried state lives in WebGPU buffers (after a step with stateOnDevice). */
  #onDevice = false;
  #readback?: ort.InferenceSession;
  /** Outputs of the last step other than the carried state (loss, extras). */
  last: Record<string, ort.Tensor> = {};

  private constructor(session: ort.InferenceSession, spec: TrainSpec) {
    this.#session = session;
    this.#spec = spec;
    this.#fetches = [
      spec.loss,
      ...spec.params.map((p) => p.output),
      ...spec.state.map((s) => s.output),
      ...Object.values(spec.extras),
    ];
    for (const s of spec.state) this.#feeds[s.input] = zeros(s.dtype, s.shape, s.init ?? 0);
    for (const [k, h] of Object.entries(spec.hyper)) this.#scalar(h.input, h.value, k);
    this.#scalar(spec.step, 1);
  }

  #scalar(input: string, value: number, _key?: string): void {
    const buf = new Float32Array([value]);
    this.#scalars[input] = buf;
    this.#feeds[input] = new ort.Tensor("float32", buf, []);
  }

  /**
   * Create a session from a model path (required when it has external data) or bytes.
   * `init` gives every trainable parameter's initial value by input name.
   */
  static async create(
    model: string | Uint8Array,
    spec: TrainSpec,
    init: Record<string, TypedArray>,
    opts: SessionOptions = {},
  ): Promise<TrainSession> {
    const o = ortOptions(opts);
    if (stateOnDevice(opts)) {
      const carried = new Set([...spec.params, ...spec.state].map((x) => x.output));
      o.preferredOutputLocation = Object.fromEntries(
        [spec.loss, ...carried, ...Object.values(spec.extras)].map((n) => [
          n,
          carried.has(n) ? "gpu-buffer" : "cpu",
        ]),
      );
    }
    const s = typeof model === "string"
      ? await ort.InferenceSession.create(model, o)
      : await ort.InferenceSession.create(model, o);
    const ts = new TrainSession(s, spec);
    ts.#opts = opts;
    for (const p of spec.params) {
      const v = init[p.input];
      if (!v) throw new Error(`TrainSession: no initial value for parameter ${p.input}`);
      ts.#setTensor(p.input, p.dtype, p.shape, v, true);
    }
    return ts;
  }

  #setTensor(name: string, dtype: DType, shape: number[], v: TypedArray, copy: boolean): void {
    this.#disposeDevice(name);
    const n = shape.reduce((a, b) => a * b, 1);
    if (v.length !== n) throw new Error(`TrainSession: ${name} needs ${n} values, got ${v.length}`);
    const data = copy ? v.slice() : v;
    this.#feeds[name] = new ort.Tensor(dtype as "float32", data as Float32Array, shape);
  }

  /** The spec this session runs. */
  get spec(): TrainSpec {
    return this.#spec;
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.#stepCount;
  }

  /** Set a hyper-parameter input (lr, warmup_steps, total_steps). */
  setHyper(name: string, value: number): void {
    const h = this.#spec.hyper[name];
    if (!h) throw new Error(`TrainSession: unknown hyper-parameter ${name}`);
    this.#scalars[h.input][0] = value;
  }

  /** Run one step on `batch` (every batch input by name); returns the loss. */
  async step(batch: Record<string, Feed>): Promise<number> {
    for (const b of this.#spec.batch) {
      const v = batch[b.name];
      if (!v) throw new Error(`TrainSession.step: missing batch input ${b.name}`);
      this.#feeds[b.name] = toTensor(b, v);
    }
    this.#scalars[this.#spec.step][0] = this.#stepCount + 1;
    const out = await this.#session.run(this.#feeds, this.#fetches);
    for (const p of this.#spec.params) this.#carry(p.input, out[p.output]);
    for (const s of this.#spec.state) this.#carry(s.input, out[s.output]);
    this.#onDevice = stateOnDevice(this.#opts);
    this.last = { loss: out[this.#spec.loss] };
    for (const [k, v] of Object.entries(this.#spec.extras)) this.last[k] = out[v];
    this.#stepCount++;
    return Number(out[this.#spec.loss].data[0]);
  }

  /** Replace a carried input, releasing the GPU buffer it held (if any). */
  #carry(name: string, t: ort.Tensor): void {
    this.#disposeDevice(name);
    this.#feeds[name] = t;
  }

  #disposeDevice(name: string): void {
    const old = this.#feeds[name];
    if (old && old.location === "gpu-buffer") old.dispose();
  }

  /** Whether the carried state is in WebGPU buffers (read it after {@link syncToHost}). */
  get stateOnDevice(): boolean {
    return this.#onDevice;
  }

  /**
   * Copy the carried state from the GPU into JS memory (no-op when it is there already).
   * Later steps move it to the device again.
   */
  async syncToHost(): Promise<void> {
    if (!this.#onDevice) return;
    const carried = [...this.#spec.params, ...this.#spec.state];
    if (!this.#readback) {
      const g = new Graph();
      for (const c of carried) {
        const x = g.input(c.input, c.dtype, c.shape);
        g.output(
          g.node({ op: "Identity", inputs: [x], outputs: [{ dtype: c.dtype, shape: c.shape }] })[0],
          `host_${c.input}`,
        );
      }
      this.#readback = await ort.InferenceSession.create(toModelProto(g), {
        ...ortOptions({ executionProviders: this.#opts.executionProviders }),
        preferredOutputLocation: "cpu",
      });
    }
    const feeds = Object.fromEntries(carried.map((c) => [c.input, this.#feeds[c.input]]));
    const out = await this.#readback.run(feeds);
    for (const c of carried) this.#carry(c.input, out[`host_${c.input}`]);
    this.#onDevice = false;
  }

  #host(): void {
    if (this.#onDevice) {
      throw new Error(
        "TrainSession: the state is on the GPU (stateOnDevice); call await syncToHost() first",
      );
    }
  }

  /** The current value of a carried tensor (a parameter or optimizer state), not copied. */
  get(name: string): TypedArray {
    this.#host();
    const t = this.#feeds[name];
    if (!t) throw new Error(`TrainSession: no state tensor ${name}`);
    return t.data as TypedArray;
  }

  /** Current parameters as ort.Tensors by input name (for EvalSession.run). */
  paramTensors(): Record<string, ort.Tensor> {
    this.#host();
    return Object.fromEntries(this.#spec.params.map((p) => [p.input, this.#feeds[p.input]]));
  }

  /** A checkpoint (copies). */
  getState(): TrainState {
    this.#host();
    const tensors: Record<string, TypedArray> = {};
    for (const s of [...this.#spec.params, ...this.#spec.state]) {
      tensors[s.input] = (this.#feeds[s.input].data as TypedArray).slice();
    }
    const hyper: Record<string, number> = {};
    for (const [k, h] of Object.entries(this.#spec.hyper)) hyper[k] = this.#scalars[h.input][0];
    return { step: this.#stepCount, hyper, tensors };
  }

  /** Restore a checkpoint from {@link getState}. */
  setState(st: TrainState): void {
    for (const s of [...this.#spec.params, ...this.#spec.state]) {
      const v = st.tensors[s.input];
      if (!v) throw new Error(`TrainSession.setState: missing ${s.input}`);
      this.#setTensor(s.input, s.dtype, s.shape, v, true);
    }
    for (const [k, v] of Object.entries(st.hyper)) this.setHyper(k, v);
    this.#stepCount = st.step;
    this.#onDevice = false;
  }

  /** Stop profiling (sessions created with `profile`) and write the trace file. */
  endProfiling(): void {
    this.#session.endProfiling();
  }

  /** Release the ORT session (and the GPU buffers of the carried state). */
  async release(): Promise<void> {
    for (const c of [...this.#spec.params, ...this.#spec.state]) this.#disposeDevice(c.input);
    await this.#readback?.release();
    await this.#session.release();
  }
}

function stateOnDevice(o: SessionOptions): boolean {
  return !!o.stateOnDevice && (o.executionProviders ?? ["cpu"])[0] === "webgpu";
}

/** Runs a forward-only graph (evaluation) with parameters from a training session. */
export class EvalSession {
  #session: ort.InferenceSession;
  #spec: EvalSpec;
  #fetches: string[];

  private constructor(session: ort.InferenceSession, spec: EvalSpec) {
    this.#session = session;
    this.#spec = spec;
    this.#fetches = Object.values(spec.outputs);
  }

  /** Create from a model path or bytes. */
  static async create(
    model: string | Uint8Array,
    spec: EvalSpec,
    opts: SessionOptions = {},
  ): Promise<EvalSession> {
    const s = typeof model === "string"
      ? await ort.InferenceSession.create(model, ortOptions(opts))
      : await ort.InferenceSession.create(model, ortOptions(opts));
    return new EvalSession(s, spec);
  }

  /** Run on `batch` with `params` (e.g. `train.paramTensors()`); returns outputs by key. */
  async run(
    params: Record<string, ort.Tensor>,
    batch: Record<string, Feed>,
  ): Promise<Record<string, ort.Tensor>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of this.#spec.params) {
      if (!params[p]) throw new Error(`EvalSession.run: missing parameter ${p}`);
      feeds[p] = params[p];
    }
    for (const b of this.#spec.batch) {
      const v = batch[b.name];
      if (!v) throw new Error(`EvalSession.run: missing batch input ${b.name}`);
      feeds[b.name] = toTensor(b, v);
    }
    const out = await this.#session.run(feeds, this.#fetches);
    const res: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(this.#spec.outputs)) res[k] = out[v];
    return res;
  }

  /** Release the ORT session. */
  async release(): Promise<void> {
    await this.#session.release();
  }
}

/**
 * Fill `mask` with a dropout keep-mask (1 with probability 1−ratio, else 0) that is a pure
 * function of (seed, step): a counter-based hash (splitmix32-style), so masks are
 * reproducible across checkpoint restarts. Works for Float32Array or Uint8Array (bool).
 */
export function fillDropoutMask(
  mask: Float32Array | Uint8Array,
  ratio: number,
  seed: number,
  step: number,
): void {
  const thr = Math.floor(ratio * 4294967296);
  let s = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(step | 0, 0x85ebca6b)) >>> 0;
  for (let i = 0; i < mask.length; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z = (z ^ (z >>> 15)) >>> 0;
    mask[i] = z >= thr ? 1 : 0;
  }
}
