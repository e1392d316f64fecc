/**
 * The Walsh–Hadamard transform over the last axis (unnormalised, Sylvester order), built as a
 * Kronecker factorisation H_L = H_n1 ⊗ H_n2 ⊗ … with ≤ 6-bit ±1 blocks applied by MatMul on
 * reshaped views (O(L · Σ n_i) work, ~L·log L·(block/bits)). H is symmetric and H·H = L·I, so the
 * transform is its own adjoint: the backward of `wht(x)` is `wht(g)`.
 *
 * @module
 */
import { customGrad } from "../custom.ts";
import { GraphError, type Tensor } from "../graph.ts";
import { matmul } from "./matmul.ts";
import { reshape, shapeOf } from "./shape.ts";

/** Largest block, in bits (measured: 5–6-bit blocks are fastest; 10+ lose). */
export const WHT_MAX_BLOCK_BITS = 6;

/** Split `bits` into balanced blocks of at most `maxBits`. */
export function whtBlocks(bits: number, maxBits = WHT_MAX_BLOCK_BITS): number[] {
  if (bits === 0) return [];
  const nb = Math.ceil(bits / maxBits);
  const base = Math.floor(bits / nb);
  return Array.from({ length: nb }, (_, i) => base + (i < bits % nb ? 1 : 0));
}

/** The n×n Sylvester Hadamard matrix (n a power of two) as ±1 values. */
export function hadamard(n: number): Float64Array {
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let p = i & j, c = 0;
      while (p) {
        c ^= p & 1;
        p >>= 1;
      }
      h[i * n + j] = c ? -1 : 1;
    }
  }
  return h;
}

function whtForward(x: Tensor): Tensor {
  const L = x.shape[x.rank - 1] as number;
  const bits = Math.log2(L);
  const blocks = whtBlocks(bits);
  if (blocks.length === 0) return x;
  const g = x.graph;
  const hOf = (n: number) => {
    const h = hadamard(n);
    return g.constant(x.dtype === "float64" ? h : Float32Array.from(h), x.dtype, [n, n]);
  };
  let y = x;
  let rest = L;
  blocks.forEach((b, i) => {
    const n = 2 ** b;
    rest /= n;
    if (i === blocks.length - 1) {
      y = matmul(reshape(y, [-1, n]), hOf(n));
    } else {
      y = matmul(hOf(n), reshape(y, [-1, n, rest]));
    }
  });
  return blocks.length === 1 && x.rank === 2 ? y : reshape(y, shapeOf(x));
}

/** Unnormalised Walsh–Hadamard transform over the last axis (its length a power of two). */
export function wht(x: Tensor): Tensor {
  const L = x.shape[x.rank - 1];
  if (x.rank < 1 || typeof L !== "number" || L < 1 || (L & (L - 1)) !== 0) {
    throw new GraphError("wht", "last axis must be a static power of two", [x]);
  }
  return customGrad([x], whtForward, ([g]) => [g ? () => wht(g) : null], "wht")[0];
}
