import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from "ml-matrix";
const [m, n] = [Number(Deno.args[0]), Number(Deno.args[1])];
const a = Matrix.rand(m, n);
let t = performance.now();
const g = a.transpose().mmul(a);
console.log(`gram ${n}x${n} via mmul: ${((performance.now() - t) / 1000).toFixed(2)} s`);
t = performance.now();
const e = new EigenvalueDecomposition(g, { assumeSymmetric: true });
console.log(
  `symmetric EVD: ${((performance.now() - t) / 1000).toFixed(2)} s, max eig ${
    Math.max(...e.realEigenvalues)
  }`,
);
if (Deno.args[2] === "svd") {
  t = performance.now();
  const s = new SingularValueDecomposition(a, {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  console.log(
    `ml-matrix SVD ${m}x${n} (no vectors): ${
      ((performance.now() - t) / 1000).toFixed(2)
    } s, σmax² ${s.diagonal[0] ** 2}`,
  );
}
