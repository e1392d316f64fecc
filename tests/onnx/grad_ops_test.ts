/**
 * Every op's gradient against central finite differences: float64 (every element) where ORT's
 * CPU provider has float64 kernels, float32 random directions otherwise (Erf, erf-Gelu, fused
 * LayerNormalization, SoftmaxCrossEntropyLoss).
 */
import * as o from "../../lib/onnx/mod.ts";
import { type CheckInput, gradcheck } from "./gradcheck.ts";

type F = (...xs: o.Tensor[]) => o.Tensor;
const cases: [string, F, CheckInput[], ("float64" | "float32")?][] = [
  ["Add (broadcast both ways)", (a, b) => o.add(a, b), [{ shape: [2, 1, 3] }, { shape: [4, 1] }]],
  ["Sub (broadcast)", (a, b) => o.sub(a, b), [{ shape: [3] }, { shape: [2, 3] }]],
  ["Mul (broadcast, fan-out)", (a, b) => o.mul(o.mul(a, b), a), [{ shape: [2, 3] }, {
    shape: [1, 3],
  }]],
  ["Div", (a, b) => o.div(a, b), [{ shape: [2, 3] }, { shape: [3], lo: 0.5, hi: 2 }]],
  ["Neg", (a) => o.neg(a), [{ shape: [4] }]],
  ["Pow (base and exponent)", (a, b) => o.pow(a, b), [{ shape: [2, 3], lo: 0.5, hi: 2 }, {
    shape: [3],
  }]],
  ["Pow (constant exponent)", (a) => o.pow(a, 3), [{ shape: [5] }]],
  ["Sqrt", (a) => o.sqrt(a), [{ shape: [5], lo: 0.5, hi: 2 }]],
  ["Exp", (a) => o.exp(a), [{ shape: [5] }]],
  ["Log", (a) => o.log(a), [{ shape: [5], lo: 0.5, hi: 2 }]],
  ["Tanh", (a) => o.tanh(a), [{ shape: [5] }]],
  ["Sigmoid", (a) => o.sigmoid(a), [{ shape: [5] }]],
  ["Reciprocal", (a) => o.reciprocal(a), [{ shape: [5], lo: 0.5, hi: 2 }]],
  ["Abs", (a) => o.abs(a), [{ shape: [5], data: [-1, -0.5, 0.3, 0.7, 2] }]],
  ["Relu", (a) => o.relu(a), [{ shape: [5], data: [-1, -0.5, 0.3, 0.7, 2] }]],
  ["Erf (float32)", (a) => o.erf(a), [{ shape: [3, 4] }], "float32"],
  ["Gelu erf (float32)", (a) => o.gelu(a, "none"), [{ shape: [3, 4], lo: -3, hi: 3 }], "float32"],
  ["Gelu tanh (float64, decomposed)", (a) => o.gelu(a, "tanh"), [{ shape: [3, 4], lo: -3, hi: 3 }]],
  [
    "Gelu tanh (float32, fused)",
    (a) => o.gelu(a, "tanh"),
    [{ shape: [3, 4], lo: -3, hi: 3 }],
    "float32",
  ],
  ["MatMul batched × 2-D", (a, b) => o.matmul(a, b), [{ shape: [2, 3, 4] }, { shape: [4, 5] }]],
  ["MatMul batched × batched (broadcast)", (a, b) => o.matmul(a, b), [{ shape: [2, 1, 3, 4] }, {
    shape: [3, 4, 2],
  }]],
  ["MatMul 2-D × 2-D", (a, b) => o.matmul(a, b), [{ shape: [3, 4] }, { shape: [4, 2] }]],
  ["MatMul vector", (a, b) => o.matmul(a, b), [{ shape: [4] }, { shape: [4, 2] }]],
  ["Gemm transA transB", (a, b) => o.gemm(a, b, true, true), [{ shape: [4, 3] }, {
    shape: [2, 4],
  }]],
  ["Gemm transA with bias", (a, b, c) => o.gemm(a, b, true, false, c), [{ shape: [4, 3] }, {
    shape: [4, 2],
  }, { shape: [2] }]],
  ["linear (one Gemm with bias over rows)", (x, w, b) => o.linear(x, w, b), [{ shape: [2, 3, 4] }, {
    shape: [4, 5],
  }, { shape: [5] }]],
  ["linear without bias", (x, w) => o.linear(x, w), [{ shape: [2, 3, 4] }, { shape: [4, 5] }]],
  ["Softmax", (a) => o.softmax(a, -1), [{ shape: [2, 5] }]],
  ["Softmax axis 1", (a) => o.softmax(a, 1), [{ shape: [2, 3, 2] }]],
  ["LogSoftmax", (a) => o.logSoftmax(a), [{ shape: [2, 5] }]],
  [
    "LayerNormalization (float64, decomposed forward, same backward rule)",
    (x, g, b) => o.layerNorm(x, g, b, { epsilon: 1e-5 }),
    [{ shape: [2, 3, 4] }, { shape: [4], lo: 0.5, hi: 1.5 }, { shape: [4] }],
  ],
  [
    "LayerNormalization over 2 axes (float64)",
    (x, g, b) => o.layerNorm(x, g, b, { axis: 1 }),
    [{ shape: [2, 3, 2] }, { shape: [3, 2], lo: 0.5, hi: 1.5 }, { shape: [3, 2] }],
  ],
  [
    "LayerNormalization (float32, fused kernel)",
    (x, g, b) => o.layerNorm(x, g, b),
    [{ shape: [2, 3, 8] }, { shape: [8], lo: 0.5, hi: 1.5 }, { shape: [8] }],
    "float32",
  ],
  ["ReduceSum", (a) => o.reduceSum(a, [1]), [{ shape: [2, 3, 2] }]],
  ["ReduceSum keepdims", (a) => o.reduceSum(a, [0, 2], true), [{ shape: [2, 3, 2] }]],
  ["ReduceMean", (a) => o.reduceMean(a, [-1]), [{ shape: [2, 3, 2] }]],
  ["ReduceMean all", (a) => o.reduceMean(a), [{ shape: [2, 3] }]],
  ["Reshape (0 and -1)", (a) => o.reshape(a, [0, -1]), [{ shape: [2, 3, 2] }]],
  ["Transpose", (a) => o.transpose(a, [2, 0, 1]), [{ shape: [2, 3, 4] }]],
  ["Unsqueeze", (a) => o.unsqueeze(a, [0, 2]), [{ shape: [2, 3] }]],
  ["Squeeze", (a) => o.squeeze(a, [1]), [{ shape: [2, 1, 3] }]],
  ["Expand", (a) => o.expand(a, [2, 3, 4]), [{ shape: [3, 1] }]],
  ["Concat", (a, b) => o.concat([a, b, a], 1), [{ shape: [2, 1] }, { shape: [2, 3] }]],
  ["Slice", (a) => o.slice(a, [1, 0], [3, -1], [0, 1]), [{ shape: [4, 3] }]],
  ["Slice negative start", (a) => o.slice(a, [-2], [100], [1]), [{ shape: [2, 5] }]],
  ["Split (one output unused)", (a) => o.split(a, [1, 2, 1], 1)[1], [{ shape: [2, 4] }]],
  [
    "Gather axis 0 (embedding, repeated ids)",
    (w, i) => o.gather(w, i, 0),
    [{ shape: [5, 3] }, { shape: [2, 3], dtype: "int64", data: [0, 4, 0, 2, 2, 1] }],
  ],
  [
    "Gather axis 1",
    (w, i) => o.gather(w, i, 1),
    [{ shape: [2, 5, 3] }, { shape: [4], dtype: "int64", data: [0, 4, 0, 2] }],
  ],
  [
    "Gather scalar index (CLS token)",
    (w, i) => o.gather(w, i, 1),
    [{ shape: [2, 5, 3] }, { shape: [], dtype: "int64", data: [0] }],
  ],
  [
    "GatherElements",
    (w, i) => o.gatherElements(w, i, 1),
    [{ shape: [2, 4] }, {
      shape: [2, 6],
      dtype: "int64",
      data: [0, 3, 3, 1, 2, 0, 1, 1, 0, 2, 3, 3],
    }],
  ],
  [
    // indices = Π mod 4 for Π = [5, 2, 7, 0, 3, 6, 1, 4]; inverse = Π⁻¹.
    "GatherTiled (a permutation mod n; gradient by the inverse)",
    (x, i, inv) => o.gatherTiled(x, i, inv),
    [
      { shape: [4] },
      { shape: [8], dtype: "int64", data: [1, 2, 3, 0, 3, 2, 1, 0] },
      { shape: [8], dtype: "int64", data: [3, 6, 1, 4, 7, 0, 5, 2] },
    ],
  ],
  [
    "ScatterElements add",
    (d, i, u) => o.scatterElementsAdd(d, i, u, 1),
    [{ shape: [2, 3] }, { shape: [2, 4], dtype: "int64", data: [0, 2, 2, 1, 1, 0, 1, 2] }, {
      shape: [2, 4],
    }],
  ],
  [
    "ScatterND add",
    (d, i, u) => o.scatterNDAdd(d, i, u),
    [{ shape: [4, 2] }, { shape: [3, 1], dtype: "int64", data: [3, 0, 3] }, { shape: [3, 2] }],
  ],
  [
    "Where",
    (c, a, b) => o.where(o.greater(c, 0), a, b),
    [{ shape: [2, 3], diff: false }, { shape: [2, 3] }, { shape: [3] }],
  ],
  ["Cast float64 → float32 → float64", (a) => o.cast(o.tanh(o.cast(a, "float32")), "float64"), [{
    shape: [4],
  }], "float32"],
  ["Dropout with mask input", (a, m) => o.dropout(a, { ratio: 0.25, mask: m }), [
    { shape: [2, 4] },
    { shape: [2, 4], data: [1, 0, 1, 1, 0, 1, 1, 1], diff: false },
  ]],
  [
    "Pad (via Slice backward)",
    (a) => o.slice(o.pad(a, a.graph.ints([1, 0, 0, 2]), [3, 5]), [0, 1], [3, 4], [0, 1]),
    [{ shape: [2, 3] }],
  ],
  ["Walsh–Hadamard L=8", (a) => o.wht(a), [{ shape: [2, 8] }]],
  ["Walsh–Hadamard L=2^7 (two blocks)", (a) => o.wht(a), [{ shape: [1, 128] }]],
  ["sumAll (fan-in)", (a, b) => o.sumAll([a, b, o.mul(a, 2)]), [{ shape: [3] }, { shape: [3] }]],
  [
    "customGrad (explicit backward used)",
    (a) =>
      o.customGrad([a], (x) => o.mul(x, x), ([g], [x]) => [g ? o.mul(g, o.mul(x, 2)) : null])[0],
    [{ shape: [4] }],
  ],
];

for (const [name, f, inputs, dtype] of cases) {
  Deno.test(`grad ${name}`, async () => {
    await gradcheck(f, inputs, { dtype: dtype ?? "float64" });
  });
}

const labels = (data: number[]): CheckInput => ({ shape: [data.length], dtype: "int64", data });
Deno.test("grad SoftmaxCrossEntropyLoss mean (float32)", async () => {
  await gradcheck((x, y) => o.softmaxCrossEntropy(x, y), [
    { shape: [4, 3], lo: -2, hi: 2 },
    labels([0, 2, 1, 2]),
  ], { dtype: "float32" });
});
Deno.test("grad SoftmaxCrossEntropyLoss sum with ignore_index (float32)", async () => {
  await gradcheck(
    (x, y) => o.softmaxCrossEntropy(x, y, { reduction: "sum", ignoreIndex: -100 }),
    [{ shape: [4, 3], lo: -2, hi: 2 }, labels([0, -100, 1, 2])],
    { dtype: "float32" },
  );
});
Deno.test("grad SoftmaxCrossEntropyLoss mean with ignore_index, [N,C,d] (float32)", async () => {
  await gradcheck(
    (x, y) => o.softmaxCrossEntropy(x, y, { ignoreIndex: -100 }),
    [{ shape: [2, 3, 2], lo: -2, hi: 2 }, { shape: [2, 2], dtype: "int64", data: [0, -100, 2, 1] }],
    { dtype: "float32" },
  );
});
Deno.test("grad SoftmaxCrossEntropyLoss none (float32)", async () => {
  await gradcheck((x, y) => o.softmaxCrossEntropy(x, y, { reduction: "none" }), [
    { shape: [3, 4] },
    labels([3, 0, 1]),
  ], { dtype: "float32" });
});
