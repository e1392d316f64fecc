/**
 * The ΔW spectrum: singular values of synthetic updates with known rank and values, against
 * numpy's SVD on a fixture matrix, LoRA updates of rank ≤ r, and the kept best-step weights.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Matrix, QrDecomposition } from "ml-matrix";
import { effectiveRank, stableRank } from "../../lib/spectrum/energy.ts";
import { loraDelta } from "../../lib/spectrum/delta.ts";
import {
  type DenseMatrix,
  singularValues,
  singularValuesSvd,
} from "../../lib/spectrum/singular_values.ts";
import { Prng } from "../../lib/random/prng.ts";
import { commitKeptWeights, keepingBest, readKeptWeights } from "../../lib/train/keep_weights.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A seeded matrix with orthonormal columns (rows × k). */
function orthonormal(rows: number, k: number, stream: number): Matrix {
  const a = new Float32Array(rows * k);
  new Prng(7, stream).fillNormal(a);
  const m = new Matrix(rows, k);
  for (let i = 0; i < rows; i++) for (let j = 0; j < k; j++) m.set(i, j, a[i * k + j]);
  return new QrDecomposition(m).orthogonalMatrix.subMatrix(0, rows - 1, 0, k - 1);
}

/** U diag(s) Vᵀ as a dense row-major matrix. */
function synthetic(rows: number, cols: number, s: number[]): DenseMatrix {
  const u = orthonormal(rows, s.length, 1);
  const v = orthonormal(cols, s.length, 2);
  const w = u.mmul(Matrix.diag(s)).mmul(v.transpose());
  return { rows, cols, data: Float64Array.from(w.to1DArray()) };
}

Deno.test("a synthetic ΔW of known rank and singular values: values, effective and stable ranks", () => {
  const s = [10, 5, 3, 1, 0.5];
  for (const [rows, cols] of [[64, 32], [24, 80]]) {
    const sigma = singularValues(synthetic(rows, cols, s));
    assert.equal(sigma.length, Math.min(rows, cols));
    s.forEach((v, i) => assert.ok(Math.abs(sigma[i] - v) < 1e-9 * 10, `σ${i} ${sigma[i]} vs ${v}`));
    for (let i = s.length; i < sigma.length; i++) assert.ok(sigma[i] < 1e-6, `σ${i} = ${sigma[i]}`);
    // Energy 100, 25, 9, 1, 0.25 of 135.25: 73.9%, 92.4%, 99.1%, 99.8%, 100%.
    assert.equal(effectiveRank(sigma, 0.5), 1);
    assert.equal(effectiveRank(sigma, 0.9), 2);
    assert.equal(effectiveRank(sigma, 0.99), 3);
    assert.equal(effectiveRank(sigma, 1), 5);
    assert.ok(Math.abs(stableRank(sigma) - 135.25 / 100) < 1e-9);
  }
});

Deno.test("effective rank: exact boundaries and the zero update", () => {
  // 90% exactly in the first value.
  assert.equal(effectiveRank([3, 1], 0.9), 1);
  assert.equal(effectiveRank([3, 1.0001], 0.9), 2);
  assert.equal(effectiveRank([0, 0, 0], 0.9), 0);
  assert.equal(stableRank([0, 0]), 0);
  assert.throws(() => effectiveRank([1], 0), /energy fraction/);
});

Deno.test("singular values match numpy's SVD on the fixture (both Gram sides and ml-matrix's SVD)", () => {
  const fx = JSON.parse(Deno.readTextFileSync(path.join(HERE, "fixtures/svd_fixture.json")));
  const tall: DenseMatrix = { rows: fx.rows, cols: fx.cols, data: Float64Array.from(fx.data) };
  const wide: DenseMatrix = {
    rows: fx.cols,
    cols: fx.rows,
    data: new Float64Array(fx.data.length),
  };
  for (let i = 0; i < fx.rows; i++) {
    for (let j = 0; j < fx.cols; j++) wide.data[j * fx.rows + i] = fx.data[i * fx.cols + j];
  }
  const ref: number[] = fx.singularValues;
  const s1 = ref[0];
  for (
    const [name, got] of [
      ["gram (tall)", singularValues(tall)],
      ["gram (wide)", singularValues(wide)],
      ["ml-matrix svd", singularValuesSvd(tall)],
    ] as const
  ) {
    assert.equal(got.length, ref.length, name);
    ref.forEach((v, i) => {
      // Gram squaring: absolute error ≲ ε σ₁² / σᵢ; these σ span 4 decades.
      const tol = 1e-12 * s1 + 1e-9 * v + (name.startsWith("gram") ? 1e-13 * s1 * s1 / v : 0);
      assert.ok(Math.abs(got[i] - v) <= tol, `${name} σ${i}: ${got[i]} vs numpy ${v}`);
    });
  }
  assert.deepEqual(fx.wideSingularValues.length, ref.length);
});

Deno.test("a LoRA update s·AᵀBᵀ has rank ≤ r and the scale α/r", () => {
  const [din, dout, r] = [40, 24, 3];
  const A = new Float32Array(r * din);
  const B = new Float32Array(dout * r);
  new Prng(3, 1).fillNormal(A);
  new Prng(3, 2).fillNormal(B);
  const d1 = loraDelta(A, B, r, [din, dout], 1);
  const d2 = loraDelta(A, B, r, [din, dout], 16 / r);
  const s1 = singularValues(d1);
  const s2 = singularValues(d2);
  for (let i = r; i < s1.length; i++) assert.ok(s1[i] < 1e-6 * s1[0]);
  assert.ok(effectiveRank(s1, 0.99) <= r);
  s1.slice(0, r).forEach((v, i) => assert.ok(Math.abs(s2[i] - (16 / r) * v) < 1e-9 * s2[0]));
  // Entry (i, o) = Σ_k A[k, i] B[o, k].
  let e = 0;
  for (let k = 0; k < r; k++) e += A[k * din + 5] * B[7 * r + k];
  assert.ok(Math.abs(d1.data[5 * dout + 7] - e) < 1e-9);
});

Deno.test("keepWeights: the best step's trainable tensors are kept, moments and later steps not", async () => {
  const scratch = Deno.makeTempDirSync();
  const out = Deno.makeTempDirSync();
  const scores = [0.5, 0.8, 0.8, 0.6];
  let call = 0;
  const evaluate = keepingBest(
    () => Promise.resolve({ select: { accuracy: scores[call++] }, report: { accuracy: 0 } }),
    scratch,
    "accuracy",
    ["param/w"],
  );
  for (let step = 10; step <= 40; step += 10) {
    await evaluate({
      "param/w": { dtype: "float32", dims: [2], data: new Float32Array([step, -step]) },
      "param/w.m": { dtype: "float32", dims: [2], data: new Float32Array(2) },
      __step: { dtype: "float64", dims: [1], data: new Float64Array([step]) },
    });
  }
  assert.throws(() => commitKeptWeights(scratch, out, 30, "accuracy"), /step 20/);
  commitKeptWeights(scratch, out, 20, "accuracy");
  const kept = readKeptWeights(out);
  assert.deepEqual(Object.keys(kept.tensors), ["param/w"]);
  assert.deepEqual([...kept.tensors["param/w"].data], [20, -20]);
  assert.equal(kept.meta.step, 20);
  Deno.removeSync(scratch, { recursive: true });
  Deno.removeSync(out, { recursive: true });
});
