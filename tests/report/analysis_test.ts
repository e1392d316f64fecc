import assert from "node:assert/strict";
import { analyze } from "../../lib/report/analysis.ts";
import { correlationLines } from "../../lib/report/markdown.ts";
import type { ThresholdResult } from "../../lib/results/types.ts";

const options = {
  statistic: "value" as const,
  bootstrap: { resamples: 500, seed: 3, confidence: 0.95 },
};

/** A minimal threshold record: what the analysis reads. */
function th(
  model: string,
  task: string,
  method: "did" | "said" | "lora",
  value: number | null,
  modelParams: number,
  extra: Partial<ThresholdResult> = {},
): ThresholdResult {
  return {
    model,
    task,
    method,
    metric: "accuracy",
    baseline: 0.9,
    baselineSource: "measured",
    fraction: 0.9,
    target: 0.81,
    value,
    interpolated: value === null ? null : value * 0.8,
    perSeed: [],
    spread: null,
    points: [{ size: 10000, seed: 1, value: 0.5 }],
    runsSaved: 0,
    modelParams,
    ...extra,
  };
}

Deno.test("d90 and r90 pair up by model and task; a power law gives correlation 1", () => {
  const tasks = ["a", "b", "c", "d", "e", "f"];
  const r = [1, 2, 4, 8, 16, 32];
  const thresholds = tasks.flatMap((task, i) => [
    th("m", task, "lora", r[i], 1e8),
    th("m", task, "did", 100 * r[i] ** 1.5, 1e8),
  ]);
  const a = analyze(thresholds, options);
  assert.equal(a.correlations.length, 1, "one model: pooled only");
  const c = a.correlations[0];
  assert.equal(c.method, "did");
  assert.equal(c.variant, null);
  assert.equal(c.pairs.length, 6);
  assert.deepEqual(c.pairs.map((p) => [p.task, p.r90, p.d90])[2], ["c", 4, 800]);
  assert.ok(Math.abs(c.result.pearson.value! - 1) < 1e-12);
  assert.equal(c.result.spearman.value, 1);
  assert.deepEqual([c.result.spearman.ci!.low, c.result.spearman.ci!.high], [1, 1]);
  assert.equal(c.result.spearman.note, null);
  assert.deepEqual(a.scaling, [], "a single model: nothing to fit");
  assert.deepEqual(a.singleModelTasks, tasks);
});

Deno.test("thresholds that were not reached are excluded and listed, and small groups say so", () => {
  const thresholds = [
    th("m", "a", "lora", 2, 1e8),
    th("m", "a", "said", 300, 1e8),
    th("m", "b", "lora", null, 1e8),
    th("m", "b", "said", 900, 1e8),
    th("m", "c", "said", 500, 1e8),
  ];
  const [c] = analyze(thresholds, options).correlations;
  assert.equal(c.method, "said");
  assert.equal(c.pairs.length, 1);
  assert.deepEqual(c.excluded, [
    "m / b: LoRA r90 not reached (target 0.81)",
    "m / c: no LoRA result",
  ]);
  assert.equal(c.result.spearman.value, null);
  assert.match(c.result.spearman.note!, /Too few points to conclude anything: 1 pair /);
});

Deno.test("per-variant groups appear for variants measured on several tasks", () => {
  const thresholds = ["a", "b", "c"].flatMap((task, i) => [
    th("big", task, "lora", 2 ** i, 3e8),
    th("big", task, "did", 100 * 3 ** i, 3e8),
  ]).concat([th("small", "a", "lora", 8, 1e8), th("small", "a", "did", 5000, 1e8)]);
  const a = analyze(thresholds, options);
  assert.deepEqual(a.correlations.map((c) => [c.variant, c.result.n]), [[null, 4], ["big", 3]]);
  assert.equal(a.correlations[1].result.spearman.value, 1);
  assert.match(a.correlations[1].result.spearman.note!, /bootstrap CI needs at least 5/);
});

Deno.test("the size slope is the exponent of a power law, over the most-pretrained variant", () => {
  const params = [1.1e8, 1.25e8, 3.4e8, 3.55e8];
  const thresholds = params.map((p, i) => th(`m${i}`, "anli", "said", 1e7 * p ** -0.5, p));
  // A less-pretrained variant of m0 is ignored by the size fit.
  thresholds.push(
    th("m0", "anli", "said", 1e9, params[0], { pretrainSteps: 10 }),
  );
  thresholds[0] = { ...thresholds[0], pretrainSteps: 1000 };
  const a = analyze(thresholds, options);
  assert.equal(a.scaling.length, 1);
  const s = a.scaling[0];
  assert.deepEqual([s.task, s.method, s.points.length], ["anli", "said", 4]);
  assert.equal(s.points[0].pretrainSteps, 1000);
  assert.ok(Math.abs(s.result.fit!.slope + 0.5) < 1e-12, `slope ${s.result.fit!.slope}`);
  assert.equal(s.result.note, null);
  assert.deepEqual(a.singleModelTasks, []);
});

Deno.test("the interpolated statistic uses the interpolated crossing", () => {
  const thresholds = [th("m", "a", "lora", 4, 1e8), th("m", "a", "did", 1000, 1e8)];
  const a = analyze(thresholds, { ...options, statistic: "interpolated" });
  assert.deepEqual([a.correlations[0].pairs[0].r90, a.correlations[0].pairs[0].d90], [3.2, 800]);
});

Deno.test("answers: each correlation answer is stated once, with its interval or why there is none", async () => {
  const { correlationLines } = await import("../../lib/report/markdown.ts");
  const { loadFixture } = await import("./helpers.ts");
  const { analyze } = await import("../../lib/report/analysis.ts");
  const data = loadFixture();
  const options = {
    statistic: "value" as const,
    bootstrap: { resamples: 200, seed: 1, confidence: 0.95 },
  };
  const lines = correlationLines(analyze(data.thresholds, options));
  for (const line of lines) {
    assert.ok((line.match(/Spearman|too few pairs|no correlation/gi) ?? []).length === 1, line);
    assert.ok(!/Too few points to conclude anything/.test(line), line);
  }
  // Two pairs only: the answer says so once.
  const two = data.thresholds.filter((t) =>
    t.model === "roberta-large" && (t.task === "mrpc" || t.task === "sst2")
  );
  const [only] = correlationLines(analyze(two, options)).filter((l) => l.startsWith("DID"));
  assert.match(only, /too few pairs with interior d90 and r90 \(\d\) to estimate a correlation/);
  assert.equal((only.match(/too few/gi) ?? []).length, 1);
});

Deno.test("analysis: pretraining checkpoints of one model are one model, so no size slope is fitted", () => {
  const thresholds = [0, 300, 1500].flatMap((steps) => [
    th(`tiny@${steps}`, "t", "lora", 2, 370949, { pretrainSteps: steps }),
    th(`tiny@${steps}`, "t", "did", 1024, 370949, { pretrainSteps: steps }),
  ]);
  const a = analyze(thresholds, options);
  assert.deepEqual(a.scaling, []);
  assert.deepEqual(a.singleModelTasks, ["t"]);
  assert.deepEqual(correlationLines(a), [
    "DID d90 vs LoRA r90 (all models): no correlation to estimate: d90 is 1024 and r90 is 2 in " +
    "all 3 pairs.",
  ]);
});
