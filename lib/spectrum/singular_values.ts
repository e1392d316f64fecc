/**
 * Singular values of a dense matrix, for the spectrum of a fine-tuning update ΔW.
 *
 * The method: the Gram matrix of the smaller side (ΔWᵀΔW or ΔWΔWᵀ, k × k with k = min(rows,
 * cols)), accumulated in float64 by the loops here, then its eigenvalues by ml-matrix's
 * symmetric eigen solver (Householder tridiagonalisation + QL); σᵢ = √max(λᵢ, 0). ml-matrix's own
 * SVD on a 4,096 × 1,024 matrix took 34 s on the 2-core development machine; this path 4.1 s
 * (Gram 1.6–2.5 s, EVD of the 1,024 × 1,024 Gram ≈ 2.5–4 s)
 * (bench/svd_timing.ts). Squaring costs accuracy only for σᵢ ≲ √ε·σ₁ (≈ 1e-8 σ₁), far below what
 * the energy ranks and the stable rank read. `singularValuesSvd` (ml-matrix's SVD) is kept as the
 * direct reference for small matrices.
 *
 * @module
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from "ml-matrix";

/** A row-major dense matrix. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  /** rows × cols values, row-major. */
  data: Float32Array | Float64Array;
}

function checkShape(m: DenseMatrix): void {
  if (m.data.length !== m.rows * m.cols || m.rows < 1 || m.cols < 1) {
    throw new Error(
      `matrix of ${m.rows} × ${m.cols} needs ${m.rows * m.cols} values, got ${m.data.length}`,
    );
  }
}

/** The k × k Gram matrix of the smaller side (k = min(rows, cols)), row-major float64. */
export function gramOfSmallerSide(m: DenseMatrix): { k: number; gram: Float64Array } {
  checkShape(m);
  const { rows, cols, data } = m;
  if (cols <= rows) {
    // ΔWᵀΔW: accumulate the outer product of every row (upper triangle), then mirror.
    const k = cols;
    const g = new Float64Array(k * k);
    const row = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      for (let j = 0; j < k; j++) row[j] = data[off + j];
      for (let i = 0; i < k; i++) {
        const a = row[i];
        if (a === 0) continue;
        const gi = i * k;
        for (let j = i; j < k; j++) g[gi + j] += a * row[j];
      }
    }
    mirrorUpper(g, k);
    return { k, gram: g };
  }
  // ΔWΔWᵀ: dot products of rows.
  const k = rows;
  const g = new Float64Array(k * k);
  const f64 = data instanceof Float64Array ? data : Float64Array.from(data);
  for (let i = 0; i < k; i++) {
    const oi = i * cols;
    for (let j = i; j < k; j++) {
      const oj = j * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) s += f64[oi + c] * f64[oj + c];
      g[i * k + j] = s;
    }
  }
  mirrorUpper(g, k);
  return { k, gram: g };
}

function mirrorUpper(g: Float64Array, k: number): void {
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[i * k + j] = g[j * k + i];
}

/** The min(rows, cols) singular values of `m`, descending (Gram eigenvalues; see the module doc). */
export function singularValues(m: DenseMatrix): Float64Array {
  const { k, gram } = gramOfSmallerSide(m);
  const rowsOf: number[][] = [];
  for (let i = 0; i < k; i++) rowsOf.push(Array.from(gram.subarray(i * k, (i + 1) * k)));
  const evd = new EigenvalueDecomposition(new Matrix(rowsOf), { assumeSymmetric: true });
  const s = Float64Array.from(evd.realEigenvalues, (l) => Math.sqrt(Math.max(l, 0)));
  return s.sort().reverse();
}

/** The singular values by ml-matrix's one-sided SVD, descending (the direct reference; slow at scale). */
export function singularValuesSvd(m: DenseMatrix): Float64Array {
  checkShape(m);
  const rowsOf: number[][] = [];
  for (let i = 0; i < m.rows; i++) {
    rowsOf.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  }
  const svd = new SingularValueDecomposition(new Matrix(rowsOf), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  return Float64Array.from(svd.diagonal).sort().reverse();
}
