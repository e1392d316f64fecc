/** The Walsh–Hadamard transform against a direct fast WHT in JS, and its blocking. */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import * as o from "../../lib/onnx/mod.ts";
import { Prng } from "../../lib/random/prng.ts";

/** In-place iterative FWHT (Sylvester order), the textbook butterfly. */
function fwht(a: Float64Array): void {
  for (let h = 1; h < a.length; h *= 2) {
    for (let i = 0; i < a.length; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const x = a[j], y = a[j + h];
        a[j] = x + y;
        a[j + h] = x - y;
      }
    }
  }
}

Deno.test("whtBlocks splits bits into balanced ≤ 6-bit blocks", () => {
  assert.deepEqual(o.whtBlocks(20), [5, 5, 5, 5]);
  assert.deepEqual(o.whtBlocks(13), [5, 4, 4]);
  assert.deepEqual(o.whtBlocks(6), [6]);
  assert.deepEqual(o.whtBlocks(1), [1]);
});

for (const [rows, bits] of [[3, 3], [2, 10], [2, 13], [1, 17]]) {
  Deno.test(`wht matches the butterfly FWHT (rows ${rows}, L = 2^${bits}), and wht(wht(x)) = L·x`, async () => {
    const L = 2 ** bits;
    const g = new o.Graph();
    const x = g.input("x", "float64", ["R", L]);
    const y = o.wht(x);
    assert.deepEqual(y.shape, ["R", L]);
    g.output(y, "y");
    g.output(o.wht(y), "yy");
    const s = await ort.InferenceSession.create(o.toModelProto(g));
    const r = new Prng(bits);
    const data = Float64Array.from({ length: rows * L }, () => r.uniform() * 2 - 1);
    const out = await s.run({ x: new ort.Tensor("float64", data, [rows, L]) });
    const got = out.y.data as Float64Array;
    for (let i = 0; i < rows; i++) {
      const ref = data.slice(i * L, (i + 1) * L);
      fwht(ref);
      for (let j = 0; j < L; j++) {
        assert.ok(Math.abs(got[i * L + j] - ref[j]) < 1e-9 * L, `row ${i} col ${j}`);
      }
    }
    const yy = out.yy.data as Float64Array;
    for (let j = 0; j < rows * L; j++) assert.ok(Math.abs(yy[j] - L * data[j]) < 1e-9 * L);
    await s.release();
  });
}

Deno.test("wht rejects a last axis that is not a static power of two", () => {
  const g = new o.Graph();
  assert.throws(
    () => o.wht(g.input("x", "float32", [2, 12])),
    /wht: last axis must be a static power of two/,
  );
  assert.throws(() => o.wht(g.input("y", "float32", [2, "L"])), /wht/);
});
