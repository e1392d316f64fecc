/**
 * A tiny pure-JS trainer for loop tests: logistic regression with Adam on a synthetic,
 * seeded dataset. Deterministic, so resumed and uninterrupted runs can be compared exactly.
 */
import type { TensorState } from "../../lib/train/checkpoint.ts";
import type { Evaluate, LoopOptions, TrainStepper } from "../../lib/train/train_loop.ts";
import { Prng } from "../../lib/random/prng.ts";

export const DIM = 4;

/** n examples: x ∈ [-1,1]^DIM, label = [w*·x > 0]. */
export function makeData(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const p = new Prng(seed);
  const x = new Float32Array(n * DIM);
  const y = new Int32Array(n);
  const w = [1, -2, 0.5, 1.5];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < DIM; j++) {
      x[i * DIM + j] = p.next() / 2 ** 31 - 1;
      s += w[j] * x[i * DIM + j];
    }
    y[i] = s > 0 ? 1 : 0;
  }
  return { x, y };
}

export class FakeStepper implements TrainStepper {
  w = new Float32Array(DIM);
  m = new Float32Array(DIM);
  v = new Float32Array(DIM);
  calls = 0;
  constructor(
    readonly data: { x: Float32Array; y: Int32Array },
    readonly lr: number,
    readonly failAt?: number,
    readonly nanAt?: number,
  ) {}
  step(indices: Int32Array, step: number): Promise<number> {
    this.calls++;
    if (this.failAt !== undefined && step === this.failAt) throw new Error("simulated crash");
    const g = new Float32Array(DIM);
    let loss = 0;
    for (const i of indices) {
      let z = 0;
      for (let j = 0; j < DIM; j++) z += this.w[j] * this.data.x[i * DIM + j];
      const p = 1 / (1 + Math.exp(-z));
      loss += -(this.data.y[i] ? Math.log(p) : Math.log(1 - p));
      for (let j = 0; j < DIM; j++) g[j] += (p - this.data.y[i]) * this.data.x[i * DIM + j];
    }
    const t = step + 1;
    for (let j = 0; j < DIM; j++) {
      const gj = g[j] / indices.length;
      this.m[j] = 0.9 * this.m[j] + 0.1 * gj;
      this.v[j] = 0.999 * this.v[j] + 0.001 * gj * gj;
      const mh = this.m[j] / (1 - 0.9 ** t);
      const vh = this.v[j] / (1 - 0.999 ** t);
      this.w[j] -= this.lr * mh / (Math.sqrt(vh) + 1e-8);
    }
    if (this.nanAt !== undefined && step >= this.nanAt) return Promise.resolve(NaN);
    return Promise.resolve(loss / indices.length);
  }
  getState(): TensorState {
    return {
      w: { dtype: "float32", dims: [DIM], data: this.w.slice() },
      m: { dtype: "float32", dims: [DIM], data: this.m.slice() },
      v: { dtype: "float32", dims: [DIM], data: this.v.slice() },
    };
  }
  setState(s: TensorState): void {
    this.w = (s.w.data as Float32Array).slice();
    this.m = (s.m.data as Float32Array).slice();
    this.v = (s.v.data as Float32Array).slice();
  }
}

/** Accuracy of the weights in `state` on two held-out sets. */
export function fakeEvaluate(
  sel: { x: Float32Array; y: Int32Array },
  rep: { x: Float32Array; y: Int32Array },
): Evaluate {
  const acc = (w: Float32Array, d: { x: Float32Array; y: Int32Array }) => {
    let ok = 0;
    for (let i = 0; i < d.y.length; i++) {
      let z = 0;
      for (let j = 0; j < DIM; j++) z += w[j] * d.x[i * DIM + j];
      if ((z > 0 ? 1 : 0) === d.y[i]) ok++;
    }
    return ok / d.y.length;
  };
  return (state) => {
    const w = state.w.data as Float32Array;
    return Promise.resolve({
      select: { accuracy: acc(w, sel) },
      report: { accuracy: acc(w, rep) },
    });
  };
}

/** Loop options of the fake runs: 200 training rows, batch 16, evaluation every 20 steps. */
export function fakeLoopOptions(steps: number): LoopOptions {
  return {
    trainSize: 200,
    batchSize: 16,
    steps,
    evalEvery: 20,
    checkpointEvery: 10,
    lossEvery: 5,
    seed: 11,
    metric: "accuracy",
    runId: "fake-run",
  };
}
