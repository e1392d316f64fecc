/**
 * Gradient checks against central finite differences, run through ONNX Runtime.
 * float64: every element of every differentiable input (h = 1e-6). float32: random
 * directions, h = cbrt(eps32)·scale and a tolerance derived from eps32.
 */
import * as ort from "onnxruntime-node";
import * as o from "../../lib/onnx/mod.ts";
import { Prng } from "../../lib/random/prng.ts";

/** One input of a checked function. */
export interface CheckInput {
  shape: number[];
  dtype?: o.DType;
  /** Fixed values (else uniform in [lo, hi]). */
  data?: ArrayLike<number>;
  lo?: number;
  hi?: number;
  /** Differentiate w.r.t. this input (default: float inputs). */
  diff?: boolean;
}

function makeData(dtype: o.DType, n: number, inp: CheckInput, r: Prng): o.TypedArray {
  const vals = inp.data ?? Array.from({ length: n }, () => {
    const lo = inp.lo ?? -1, hi = inp.hi ?? 1;
    return lo + (hi - lo) * r.uniform();
  });
  return o.toTypedArray(dtype, vals as number[]);
}

/** Result summary of a check. */
export interface CheckResult {
  maxErr: number;
  tol: number;
  evals: number;
}

/**
 * Check d/dx of sum(f(xs) · R) (R a fixed random weight) against finite differences.
 * Throws with details when the analytic and numeric gradients disagree.
 */
export async function gradcheck(
  f: (...xs: o.Tensor[]) => o.Tensor,
  inputs: CheckInput[],
  opts: { dtype?: "float64" | "float32"; seed?: number; directions?: number } = {},
): Promise<CheckResult> {
  const fdt = opts.dtype ?? "float64";
  const r = new Prng(opts.seed ?? 1);
  const g = new o.Graph();
  const xs = inputs.map((inp, i) => g.input(`x${i}`, inp.dtype ?? fdt, inp.shape));
  const y = f(...xs);
  const yshape = y.shape as number[];
  const n = yshape.reduce((a, b) => a * b, 1);
  const R = g.constant(
    o.toTypedArray(y.dtype, Array.from({ length: n }, () => r.uniform() * 2 - 1)),
    y.dtype,
    yshape,
  );
  const loss = o.cast(o.reduceSum(o.mul(y, R)), "float64");
  const diffIdx = inputs
    .map((inp, i) => ((inp.diff ?? o.isFloat(inp.dtype ?? fdt)) ? i : -1))
    .filter((i) => i >= 0);
  const grads = o.grad(loss, diffIdx.map((i) => xs[i]));
  g.output(loss, "loss");
  grads.forEach((gr, k) => g.output(gr, `g${k}`));
  const sess = await ort.InferenceSession.create(o.toModelProto(g), {
    graphOptimizationLevel: "disabled",
  });
  const data = inputs.map((inp, i) =>
    makeData(xs[i].dtype, inp.shape.reduce((a, b) => a * b, 1), inp, r)
  );
  const feeds = () =>
    Object.fromEntries(
      data.map((
        d,
        i,
      ) => [`x${i}`, new ort.Tensor(xs[i].dtype as "float32", d as Float32Array, inputs[i].shape)]),
    );
  const base = await sess.run(feeds());
  const f0 = Number(base.loss.data[0]);
  const analytic = diffIdx.map((_, k) =>
    Float64Array.from(base[`g${k}`].data as Float64Array, Number)
  );
  let evals = 0;
  const lossAt = async () => {
    evals++;
    const out = await sess.run(feeds(), ["loss"]);
    return Number(out.loss.data[0]);
  };
  let maxErr = 0, tol = 0;
  if (fdt === "float64") {
    const h = 1e-6;
    const scale = Math.max(
      1e-3,
      ...analytic.map((a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0)),
    );
    tol = 1e-6 * scale + 1e-9 * Math.max(1, Math.abs(f0));
    for (let k = 0; k < diffIdx.length; k++) {
      const d = data[diffIdx[k]] as Float64Array;
      for (let j = 0; j < d.length; j++) {
        const v = d[j];
        d[j] = v + h;
        const fp = await lossAt();
        d[j] = v - h;
        const fm = await lossAt();
        d[j] = v;
        const num = (fp - fm) / (2 * h);
        const err = Math.abs(num - analytic[k][j]);
        maxErr = Math.max(maxErr, err);
        if (err > tol) {
          await sess.release();
          throw new Error(
            `gradcheck: input ${diffIdx[k]} element ${j}: analytic ${
              analytic[k][j]
            } vs numeric ${num} (tol ${tol})`,
          );
        }
      }
    }
  } else {
    const eps = 2 ** -23;
    for (let dir = 0; dir < (opts.directions ?? 3); dir++) {
      const us = diffIdx.map((i) =>
        Float64Array.from({ length: data[i].length }, () => r.uniform() * 2 - 1)
      );
      const norm = Math.sqrt(us.reduce((s, u) => s + u.reduce((a, v) => a + v * v, 0), 0));
      us.forEach((u) => u.forEach((_, j) => (u[j] /= norm)));
      const xscale = Math.max(
        1,
        ...diffIdx.map((i) =>
          (data[i] as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0)
        ),
      );
      const h = Math.cbrt(eps) * xscale;
      const orig = diffIdx.map((i) => (data[i] as Float32Array).slice());
      const shift = (s: number) =>
        diffIdx.forEach((i, k) => {
          const d = data[i] as Float32Array;
          for (let j = 0; j < d.length; j++) d[j] = orig[k][j] + s * us[k][j];
        });
      shift(h);
      const fp = await lossAt();
      shift(-h);
      const fm = await lossAt();
      shift(0);
      // The step actually taken differs from h by float32 rounding of x + h·u; use its effective size.
      const num = (fp - fm) / (2 * h);
      const ana = analytic.reduce((s, a, k) => s + a.reduce((t, v, j) => t + v * us[k][j], 0), 0);
      const gnorm = Math.sqrt(analytic.reduce((s, a) => s + a.reduce((t, v) => t + v * v, 0), 0));
      // Rounding: ~eps·|f|·sqrt(n)/h from the loss, eps·xscale·|g| from perturbing x; truncation h²·|f'''|.
      const nEl = Math.sqrt(n);
      tol = 20 *
        (eps * Math.max(1, Math.abs(f0)) * nEl / h + eps ** (2 / 3) * Math.max(1, gnorm) * xscale);
      const err = Math.abs(num - ana);
      maxErr = Math.max(maxErr, err);
      if (err > tol) {
        await sess.release();
        throw new Error(
          `gradcheck(float32): direction ${dir}: analytic ${ana} vs numeric ${num} (tol ${tol})`,
        );
      }
    }
  }
  await sess.release();
  return { maxErr, tol, evals };
}
