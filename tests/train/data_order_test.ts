import assert from "node:assert/strict";
import { Prng } from "../../lib/random/prng.ts";
import { DataOrder } from "../../lib/train/data_order.ts";

Deno.test("prng: same seed, same stream; restored state continues the stream exactly", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const xs = Array.from({ length: 10 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 10 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 10 }, () => new Prng(43).next()));
  const c = Prng.fromState(a.getState());
  assert.deepEqual(
    Array.from({ length: 5 }, () => c.next()),
    Array.from({ length: 5 }, () => a.next()),
  );
});

Deno.test("data order: each epoch is a permutation; epochs differ; batches run across epochs", () => {
  const o = new DataOrder(10, 7);
  const e0 = Array.from(o.next(10));
  assert.deepEqual([...e0].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const e1 = Array.from(o.next(10));
  assert.deepEqual([...e1].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(e0, e1);
  assert.equal(o.epoch, 1);
  const p = new DataOrder(10, 7);
  assert.deepEqual(Array.from(p.next(13)), [...e0, ...e1.slice(0, 3)]);
});

Deno.test("data order: resuming from a saved state mid-epoch continues identically", () => {
  const full = new DataOrder(37, 3);
  const ref = Array.from({ length: 20 }, () => Array.from(full.next(8)));
  const part = new DataOrder(37, 3);
  for (let i = 0; i < 7; i++) part.next(8);
  const saved = JSON.parse(JSON.stringify(part.state()));
  const resumed = new DataOrder(37, 3, saved);
  const rest = Array.from({ length: 13 }, () => Array.from(resumed.next(8)));
  assert.deepEqual(rest, ref.slice(7));
});
