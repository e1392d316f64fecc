/**
 * A 2-layer transformer classifier (dropout 0.1), compiled to one training graph (forward, backward, AdamW
 * with warm-up/decay and clipping), learns a synthetic order task to > 95% held-out accuracy,
 * evaluated with a separate forward-only graph on the session's current parameters.
 */
import assert from "node:assert/strict";
import * as o from "../../lib/onnx/mod.ts";
import {
  classifierGraph,
  initClassifier,
  smallBertConfig,
} from "../../lib/models/classifier_graph.ts";
import { Prng } from "../../lib/random/prng.ts";

const C = smallBertConfig({
  vocab: 16,
  hidden: 32,
  heads: 2,
  intermediate: 64,
  layers: 2,
  maxPos: 16,
  labels: 2,
  eps: 1e-5,
});
const S = 10, B = 32;

/** Token 1 is [CLS]; tokens 3 and 4 each appear once among random filler 5..15; label: 3 before 4. */
function makeBatch(r: Prng, n: number) {
  const ids = new BigInt64Array(n * S), mask = new BigInt64Array(n * S).fill(1n);
  const labels = new BigInt64Array(n);
  for (let b = 0; b < n; b++) {
    ids[b * S] = 1n;
    for (let s = 1; s < S; s++) ids[b * S + s] = BigInt(5 + r.int(11));
    const i = 1 + r.int(S - 1);
    let j = 1 + r.int(S - 2);
    if (j >= i) j++;
    ids[b * S + i] = 3n;
    ids[b * S + j] = 4n;
    labels[b] = i < j ? 1n : 0n;
  }
  return {
    input_ids: { data: ids, dims: [n, S] },
    attention_mask: { data: mask, dims: [n, S] },
    labels: { data: labels, dims: [n] },
  };
}

Deno.test("2-layer transformer classifier trains to > 95% accuracy", async () => {
  const steps = 400;
  const g = new o.Graph("train");
  const m = classifierGraph(g, C, { seq: S, dropout: 0.1, seed: 7 });
  const labels = g.input("labels", "int64", ["B"]);
  const loss = o.softmaxCrossEntropy(m.logits, labels);
  const spec = o.buildTrainGraph(g, {
    loss,
    params: [...m.params.values()],
    optimizer: {
      type: "adamw",
      lr: 2e-3,
      weightDecay: 0.01,
      clipNorm: 1,
      schedule: { warmupSteps: 30, totalSteps: steps },
    },
  });
  const e = new o.Graph("eval");
  const me = classifierGraph(e, C, { seq: S });
  const espec = o.buildEvalGraph(e, [...me.params.values()], { logits: me.logits });
  const train = await o.TrainSession.create(o.toModelProto(g), spec, initClassifier(C, 3), {
    intraOpNumThreads: 2,
  });
  const evals = await o.EvalSession.create(o.toModelProto(e), espec, { intraOpNumThreads: 2 });
  const r = new Prng(11);
  let first = 0, last = 0;
  for (let i = 0; i < steps; i++) {
    const l = await train.step(makeBatch(r, B));
    if (i === 0) first = l;
    last = l;
  }
  const test = makeBatch(new Prng(999), 1000);
  const out = await evals.run(train.paramTensors(), {
    input_ids: test.input_ids,
    attention_mask: test.attention_mask,
  });
  const lg = out.logits.data as Float32Array;
  let correct = 0;
  for (let b = 0; b < 1000; b++) {
    if ((lg[2 * b + 1] > lg[2 * b] ? 1n : 0n) === test.labels.data[b]) correct++;
  }
  await train.release();
  await evals.release();
  assert.ok(last < first, `loss fell: ${first} → ${last}`);
  assert.ok(correct / 1000 > 0.95, `held-out accuracy ${correct / 1000}`);
});
