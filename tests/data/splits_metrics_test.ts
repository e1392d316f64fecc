import assert from "node:assert/strict";
import { accuracy, argmaxRows, computeMetrics, f1, matthews } from "../../lib/data/metrics.ts";
import { applyPolicy, stratifiedHoldout } from "../../lib/data/splits.ts";
import { Prng } from "../../lib/random/prng.ts";
import type { Row } from "../../lib/data/schema.ts";

const rows = (n: number, offset = 0): Row[] =>
  Array.from({ length: n }, (_, i) => ({ text_a: `t${offset + i}`, label: i % 4 === 0 ? 1 : 0 }));

Deno.test("holdout policy: select is a stratified slice of train, report is validation", () => {
  const p = applyPolicy(
    {
      train: rows(200),
      trainFrom: ["train"],
      validation: rows(40, 1000),
      validationFrom: ["validation"],
    },
    { name: "holdout", seed: 7, selectFraction: 0.1 },
    2,
  );
  assert.equal(p.rows.select.length, 20);
  assert.deepEqual(p.provenance.select.labelCounts, [15, 5]);
  assert.equal(p.rows.train.length, 180);
  assert.equal(p.rows.report.length, 40);
  const sel = new Set(p.rows.select.map((r) => r.text_a));
  assert.ok(p.rows.train.every((r) => !sel.has(r.text_a)));
  assert.ok(p.rows.report.every((r) => Number(r.text_a.slice(1)) >= 1000));
  assert.equal(p.policy.name, "holdout");
  assert.match(p.policy.description, /not used for any choice/);
});

Deno.test("validation policy: select and report are the validation split, and it says so", () => {
  const p = applyPolicy(
    {
      train: rows(200),
      trainFrom: ["train"],
      validation: rows(40, 1000),
      validationFrom: ["validation"],
    },
    { name: "validation", seed: 7 },
    2,
  );
  assert.equal(p.rows.train.length, 200);
  assert.deepEqual(p.rows.select, p.rows.report);
  assert.match(p.policy.description, /tuned on the split it is reported on/);
});

Deno.test("n_train subsamples train (stratified, seeded), leaving select untouched", () => {
  const src = { train: rows(400), trainFrom: ["train"], validation: rows(40, 1000) };
  const a = applyPolicy(src, { name: "holdout", seed: 1, nTrain: 100 }, 2);
  const b = applyPolicy(src, { name: "holdout", seed: 1 }, 2);
  assert.equal(a.rows.train.length, 100);
  assert.deepEqual(a.provenance.train.labelCounts, [75, 25]);
  assert.deepEqual(a.rows.select, b.rows.select);
  assert.match(a.provenance.train.how, /subsample 100\/360/);
  assert.deepEqual(applyPolicy(src, { name: "holdout", seed: 1, nTrain: 100 }, 2).rows, a.rows);
});

Deno.test("stratifiedHoldout by group keeps groups whole", () => {
  const rs: Row[] = Array.from({ length: 100 }, (_, i) => ({
    text_a: String(i),
    label: 0,
    group: `g${Math.floor(i / 10)}`,
  }));
  const [kept, held] = stratifiedHoldout(rs, 0.3, new Prng(3), true);
  assert.equal(held.length, 30);
  const heldGroups = new Set(held.map((r) => r.group));
  assert.equal(heldGroups.size, 3);
  assert.ok(kept.every((r) => !heldGroups.has(r.group)));
});

Deno.test("metrics match hand-computed values", () => {
  const gold = [1, 1, 1, 0, 0, 0, 0, 1];
  const pred = [1, 0, 1, 0, 1, 0, 0, 1];
  assert.equal(accuracy(pred, gold), 6 / 8);
  // tp 3, fp 1, fn 1 → F1 = 6 / 8
  assert.equal(f1(pred, gold), 0.75);
  // binary MCC = (tp·tn − fp·fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn)) = (9 − 1) / 16
  assert.ok(Math.abs(matthews(pred, gold) - 0.5) < 1e-12);
  assert.equal(f1([0, 0], [0, 0]), 0);
  assert.deepEqual(computeMetrics(["accuracy", "f1"], pred, gold), { accuracy: 0.75, f1: 0.75 });
  assert.deepEqual([...argmaxRows([0.1, 0.9, 2, -1, 0, 0], 2)], [1, 0, 0]);
  assert.throws(() => accuracy([1], [1, 0]), /1 predictions for 2 labels/);
});
