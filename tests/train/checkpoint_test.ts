import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { readCheckpoint, writeCheckpoint } from "../../lib/train/checkpoint.ts";

Deno.test("checkpoint: tensors and meta round-trip exactly; no temp file left", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "ckpt", "checkpoint.bin");
    const w = new Float32Array([1.5, -2.25, Math.fround(0.1)]);
    const m = new Float32Array([0, 1e-30, 3.4e38]);
    const s = new BigInt64Array([7n]);
    writeCheckpoint(file, {
      "z": { dtype: "float32", dims: [3], data: w },
      "adam.m": { dtype: "float32", dims: [1, 3], data: m },
      "step": { dtype: "int64", dims: [], data: s },
    }, { step: 12, note: "x" });
    const c = readCheckpoint<{ step: number; note: string }>(file)!;
    assert.deepEqual(c.meta, { step: 12, note: "x" });
    assert.deepEqual(Array.from(c.tensors["z"].data as Float32Array), Array.from(w));
    assert.deepEqual(c.tensors["adam.m"].dims, [1, 3]);
    assert.deepEqual(Array.from(c.tensors["adam.m"].data as Float32Array), Array.from(m));
    assert.equal((c.tensors["step"].data as BigInt64Array)[0], 7n);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["checkpoint.bin"]);
    assert.equal(readCheckpoint(path.join(dir, "missing.bin")), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("checkpoint: a file that is not a checkpoint is rejected naming the file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "bad.bin");
    Deno.writeTextFileSync(file, "hello world, not a checkpoint");
    assert.throws(() => readCheckpoint(file), /bad\.bin: not an idim checkpoint/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
