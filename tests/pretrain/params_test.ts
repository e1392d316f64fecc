import assert from "node:assert/strict";
import { buildDag } from "../../lib/pipeline/dag.ts";
import { pretrainParamsSchema } from "../../lib/pretrain/params.ts";
import { stage as tokenizerStage } from "../../stages/embedded_tokenizer.ts";
import pretrainStage from "../../stages/pretrain.ts";
import { tinyRaw } from "./helpers.ts";

/** The issues of parsing `raw`, as "path: message" lines. */
function issues(raw: Record<string, unknown>): string[] {
  const r = pretrainParamsSchema.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

Deno.test("pretrain params: bad values name the key and what was expected", () => {
  assert.deepEqual(issues(tinyRaw({ steps: 10 })), []);
  const heads = issues(tinyRaw({ steps: 10, hidden: 30, heads: 4 }));
  assert.deepEqual(heads, ["heads: must divide hidden (30)"]);
  assert.match(
    issues(tinyRaw({ steps: 10, seq: 64 }))[0],
    /^seq: must be at most max_position \(32\)/,
  );
  assert.match(
    issues(tinyRaw({ steps: 10, schedule_steps: 5 }))[0],
    /^schedule_steps: must be at least steps/,
  );
  assert.match(issues(tinyRaw({ steps: -1 }))[0], /^steps: /);
  assert.match(
    issues(tinyRaw({ steps: 1, tokenizer: { kind: "download-model", params: {} } }))[0],
    /^tokenizer\.kind/,
  );
  assert.match(issues(tinyRaw({ steps: 1, nope: 1 }))[0], /nope/);
});

Deno.test("pretrain params: from must be an earlier checkpoint of the same run with the same schedule", () => {
  const from = (extra: Record<string, unknown>) => ({
    kind: "pretrain",
    params: tinyRaw({ steps: 10, schedule_steps: 20, ...extra }),
  });
  assert.deepEqual(issues(tinyRaw({ steps: 20, from: from({}) })), []);
  // Bookkeeping may differ along the chain.
  assert.deepEqual(issues(tinyRaw({ steps: 20, from: from({ name: "x", threads: 2 }) })), []);
  assert.deepEqual(issues(tinyRaw({ steps: 20, from: from({ lr: 1e-4 }) })), [
    "from.params.lr: is 0.0001 but this checkpoint's is 0.003: a checkpoint continues the same run",
  ]);
  assert.match(
    issues(tinyRaw({ steps: 20, from: from({ steps: 20 }) }))[0],
    /^from\.params\.steps: must be below this checkpoint's steps \(20\)/,
  );
  assert.match(
    issues(tinyRaw({ steps: 20, from: from({ schedule_steps: 10 }) }))[0],
    /^from\.params\.schedule_steps: is 10 but this checkpoint's is 20: every checkpoint of a chain/,
  );
  assert.match(
    issues(tinyRaw({ steps: 20, from: from({ hidden: "x" }) }))[0],
    /^from\.params\.hidden/,
  );
});

Deno.test("pretrain stage: a chain plans as tokenizer → step 10 → step 20, published per step", () => {
  const raw = tinyRaw({
    steps: 20,
    from: { kind: "pretrain", params: tinyRaw({ steps: 10, schedule_steps: 20 }) },
  });
  const dag = buildDag([{ kind: "pretrain", params: raw as never }], [
    pretrainStage,
    tokenizerStage,
  ] as never);
  const kinds = dag.instances.map((i) => `${i.kind} ${i.publish ?? ""}`);
  assert.deepEqual(kinds, [
    "embedded-tokenizer ",
    "pretrain models/tiny-step10",
    "pretrain models/tiny-step20",
  ]);
  const last = dag.instances[2];
  assert.deepEqual(Object.keys(last.inputs).sort(), ["from", "tokenizer"]);
  assert.equal(last.inputs.from, dag.instances[1]);
  assert.equal(last.inputs.tokenizer, dag.instances[0]);
  assert.ok(last.outputs.includes("optimizer_state.bin"));
});
