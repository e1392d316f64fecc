import { facetColumns } from "../../lib/report/charts/common.ts";
import assert from "node:assert/strict";
import { type Analysis, analyze } from "../../lib/report/analysis.ts";
import { buildCharts, CHART_NAMES, type ChartSpec } from "../../lib/report/charts/mod.ts";
import type { Chart } from "../../lib/report/charts/common.ts";
import { fixed } from "../../lib/report/format.ts";
import { rasterizeSvg, renderSvg, requireFont } from "../../lib/report/render.ts";
import type { ThresholdResult } from "../../lib/results/types.ts";
import { loadFixture } from "./helpers.ts";

const data = loadFixture();
const options = {
  statistic: "value" as const,
  bootstrap: { resamples: 500, seed: 1, confidence: 0.95 },
};
const analysis: Analysis = analyze(data.thresholds, options);
const charts = buildCharts(data.points, data.thresholds, analysis);
const byName = (name: string): Chart => charts.find((c) => c.name === name)!;

// deno-lint-ignore no-explicit-any
type Any = any;
const spec = (name: string): Any => byName(name).spec as Any;
const rows = (name: string, layer?: string): Any[] =>
  spec(name).data.values.filter((r: Any) => layer === undefined || r.layer === layer);
const layers = (name: string): Any[] => spec(name).spec.layer;
const layerOf = (name: string, layer: string): Any =>
  layers(name).find((l: Any) => l.transform?.[0]?.filter === `datum.layer === '${layer}'`);

Deno.test("the report always has the five charts, in order, all with data on the fixture", () => {
  assert.deepEqual(charts.map((c) => c.name), [...CHART_NAMES]);
  for (const c of charts) {
    assert.ok(c.hasData, `${c.name} has data`);
    const text = JSON.stringify(c.spec);
    assert.ok(!text.includes('"url"'), `${c.name}: data inline, never fetched`);
    assert.ok(Array.isArray((c.spec as Any).data.values), `${c.name}: data.values`);
  }
});

Deno.test("accuracy vs d: log x on size, one panel per model and task, target and d90 rules", () => {
  const s = spec("accuracy_vs_d");
  assert.equal(s.facet.field, "panel");
  const seed = layerOf("accuracy_vs_d", "seed");
  assert.equal(seed.mark.type, "point");
  assert.equal(seed.encoding.x.field, "size");
  assert.equal(seed.encoding.x.scale.type, "log");
  assert.equal(seed.encoding.y.field, "value");
  assert.deepEqual(
    seed.encoding.tooltip.map((t: Any) => t.field),
    ["model", "task", "method", "size", "seed", "value", "bestLr", "lrEdge"],
  );
  assert.deepEqual(seed.encoding.color.scale.domain, ["DID", "SAID"]);
  // Every DID/SAID point of every seed with a value is drawn.
  const expectedSeeds = data.points.filter((p) =>
    (p.method === "did" || p.method === "said") && p.value !== null
  );
  assert.equal(rows("accuracy_vs_d", "seed").length, expectedSeeds.length);
  // 10 model variant × task panels, each with one target rule at its threshold's target.
  const targets = rows("accuracy_vs_d", "target");
  assert.equal(targets.length, 10);
  assert.equal(s.facet.sort.length, 10);
  const mrpc = data.thresholds.find((t) => t.model === "roberta-large" && t.task === "mrpc")!;
  assert.equal(targets.find((r: Any) => r.panel === "roberta-large · mrpc").target, mrpc.target);
  const target = spec("accuracy_vs_d").spec.layer.find((l: Any) =>
    l.mark.type === "rule" && l.encoding.y?.field === "target"
  );
  assert.ok(target, "a target rule layer");
  // d90 rules: one per DID/SAID threshold that reached the target, at its value.
  const rule = layerOf("accuracy_vs_d", "threshold");
  assert.equal(rule.mark.type, "rule");
  assert.equal(rule.encoding.x.field, "threshold");
  const reached = data.thresholds.filter((t) => t.method !== "lora" && t.value !== null);
  const marked = rows("accuracy_vs_d", "threshold");
  assert.equal(marked.length, reached.length);
  const didMrpc = data.thresholds.find((t) =>
    t.model === "roberta-large" && t.task === "mrpc" && t.method === "did"
  )!;
  assert.equal(
    marked.find((r: Any) => r.panel === "roberta-large · mrpc" && r.method === "DID").threshold,
    didMrpc.value,
  );
  // The DID sweep of bert-base on ANLI never reached the target: said in its panel.
  const unreached = rows("accuracy_vs_d", "unreached");
  assert.equal(unreached.length, 1);
  assert.equal(unreached[0].panel, "bert-base-uncased · anli");
  assert.match(unreached[0].label, /d90 not reached: DID/);
});

Deno.test("accuracy vs r: LoRA only, log x on rank, r90 marked", () => {
  const seed = layerOf("accuracy_vs_r", "seed");
  assert.equal(seed.encoding.x.scale.type, "log");
  assert.deepEqual(seed.encoding.color.scale.domain, ["LoRA"]);
  assert.ok(rows("accuracy_vs_r", "seed").every((r: Any) => r.method === "LoRA"));
  const marked = rows("accuracy_vs_r", "threshold");
  assert.ok(marked.every((r: Any) => /^LoRA r90 = /.test(r.label)));
  assert.equal(
    marked.length,
    data.thresholds.filter((t) => t.method === "lora" && t.value !== null).length,
  );
  assert.equal(
    rows("accuracy_vs_r", "unreached").length,
    new Set(
      data.thresholds.filter((t) => t.method === "lora" && t.value === null).map((t) =>
        `${t.model}${t.pretrainSteps}${t.task}`
      ),
    ).size,
  );
});

Deno.test("d90 vs r90: log–log, one point per reached pair, correlation in the subtitle", () => {
  const full = spec("d90_vs_r90");
  const s = full.layer[2];
  s.title = full.title;
  assert.equal(s.mark.type, "point");
  assert.equal(s.encoding.x.field, "r90");
  assert.equal(s.encoding.x.scale.type, "log");
  assert.equal(s.encoding.y.field, "d90");
  assert.equal(s.encoding.y.scale.type, "log");
  assert.equal(s.encoding.shape.field, "task");
  assert.ok(s.encoding.tooltip.length >= 5);
  // Both intervals on each point: an x and a y error bar over the same rows.
  assert.equal(full.layer[0].mark.type, "errorbar");
  assert.equal(full.layer[0].encoding.x2.field, "r90High");
  assert.equal(full.layer[1].encoding.y2.field, "d90High");
  assert.ok(rows("d90_vs_r90").every((r: Any) => r.d90Low <= r.d90 && r.d90 <= r.d90High));
  const pooled = analysis.correlations.filter((c) => c.variant === null);
  assert.equal(rows("d90_vs_r90").length, pooled.reduce((n, c) => n + c.pairs.length, 0));
  // The pair of roberta-large / mrpc with DID is at (r90, d90) of the fixture thresholds.
  const t = (m: string) =>
    data.thresholds.find((x) =>
      x.model === "roberta-large" && x.task === "mrpc" && x.method === m
    )!;
  const p = rows("d90_vs_r90").find((r: Any) =>
    r.model === "roberta-large" && r.task === "mrpc" && r.method === "DID"
  );
  assert.deepEqual([p.r90, p.d90], [t("lora").value, t("did").value]);
  const did = pooled.find((c) => c.method === "did")!;
  assert.ok(
    s.title.subtitle.some((line: string) =>
      line.startsWith("DID: ") && line.includes(`ρ = ${fixed(did.result.spearman.value)}`)
    ),
  );
});

Deno.test("threshold vs parameters: log–log per task, fitted lines on the OLS power law", () => {
  const s = spec("threshold_vs_params");
  assert.equal(s.facet.field, "task");
  assert.deepEqual(s.facet.sort, ["anli"], "only tasks measured on several models");
  const point = layerOf("threshold_vs_params", "point");
  assert.equal(point.encoding.x.field, "params");
  assert.equal(point.encoding.x.scale.type, "log");
  assert.equal(point.encoding.y.scale.type, "log");
  const fit = analysis.scaling.find((f) => f.task === "anli" && f.method === "said")!;
  assert.equal(
    rows("threshold_vs_params", "point").filter((r: Any) => r.method === "SAID").length,
    4,
  );
  const line = rows("threshold_vs_params", "fit").filter((r: Any) => r.method === "SAID");
  assert.equal(line.length, 2);
  for (const r of line) {
    const expected = 10 **
      (fit.result.fit!.intercept + fit.result.fit!.slope * Math.log10(r.params));
    assert.ok(Math.abs(r.value - expected) < 1e-9 * expected);
  }
  // LoRA on ANLI: a fitted line only where at least 3 models reached the target.
  const lora = analysis.scaling.find((f) => f.task === "anli" && f.method === "lora")!;
  assert.equal(
    rows("threshold_vs_params", "fit").filter((r: Any) => r.method === "LoRA").length,
    lora.result.fit === null ? 0 : 2,
  );
  assert.equal(s.columns, 1);
});

Deno.test("d90 vs pretraining steps: only variants with steps, one panel per model, steps 0 drawn", () => {
  const s = spec("d90_vs_pretrain_steps");
  const line = s.spec.layer[1];
  assert.equal(line.encoding.x.field, "pretrainSteps");
  assert.equal(line.encoding.x.scale.type, "symlog", "step 0 (random init) has a place");
  assert.equal(line.encoding.y.scale.type, "log");
  // Intervals: an error-bar layer over rows that carry both ends.
  assert.equal(s.spec.layer[0].mark.type, "errorbar");
  assert.equal(s.spec.layer[0].encoding.y2.field, "high");
  const r = rows("d90_vs_pretrain_steps");
  assert.ok(r.every((x: Any) => x.low <= x.value && x.value <= x.high));
  assert.ok(r.some((x: Any) => x.low < x.high), "some interval has width");
  assert.equal(r.length, 9);
  assert.ok(r.every((x: Any) => !/@/.test(x.panel)), "a model's checkpoints share its panel");
  assert.deepEqual(
    [...new Set(r.map((x: Any) => x.pretrainSteps))].sort((a: Any, b: Any) => a - b),
    [
      1000,
      4000,
      16000,
    ],
  );
});

Deno.test("accuracy charts: mean ± 95% t-interval error bars with data, target band, no empty facet cell", () => {
  for (const name of ["accuracy_vs_d", "accuracy_vs_r"] as const) {
    const s = spec(name);
    const bars = s.spec.layer.find((l: Any) => l.mark.type === "errorbar");
    assert.ok(bars, `${name}: an error-bar layer`);
    assert.equal(bars.encoding.y.field, "low");
    assert.equal(bars.encoding.y2.field, "high");
    const means = rows(name, "mean").filter((r: Any) => r.low !== null);
    assert.ok(means.length > 0, `${name}: the error bars have data`);
    assert.ok(means.every((r: Any) => r.low < r.value && r.value < r.high && r.seeds === 3));
    const band = s.spec.layer.find((l: Any) => l.mark.type === "rect");
    assert.equal(band.encoding.y2.field, "targetHigh");
    const targets = rows(name, "target").filter((r: Any) => r.targetLow < r.targetHigh);
    assert.ok(targets.length > 0, `${name}: the target band has width`);
    // No empty panel: the panel count is a multiple of the columns (or fits in one row).
    const panels = s.facet.sort.length;
    assert.equal(panels % s.columns, 0, `${name}: ${panels} panels in ${s.columns} columns`);
  }
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]) {
    const c = facetColumns(n);
    assert.equal(n % c, 0, `${n} panels, ${c} columns`);
  }
  // The point whose lr sits at an edge is marked in the tooltip data.
  assert.ok(rows("accuracy_vs_r", "seed").some((r: Any) => /⚠/.test(r.lrEdge)));
});

Deno.test("charts without data become placeholders that say why", async () => {
  const noSteps: ThresholdResult[] = data.thresholds.map((t) => {
    const { pretrainSteps: _, ...rest } = t;
    return rest;
  });
  const a = analyze(noSteps, options);
  const c = buildCharts(data.points, noSteps, a).find((x) => x.name === "d90_vs_pretrain_steps")!;
  assert.equal(c.hasData, false);
  assert.match(JSON.stringify(c.spec), /No run in these results has pretraining steps/);
  const empty = buildCharts([], [], analyze([], options));
  assert.deepEqual(empty.map((x) => x.hasData), [false, false, false, false, false]);
  for (const x of empty) assert.match(await renderSvg(x.spec), /<text/);
});

Deno.test("every chart compiles without Vega-Lite warnings and renders marks to SVG and PNG", async () => {
  for (const c of charts) {
    const svg = await renderSvg(c.spec as ChartSpec);
    assert.match(svg, /^<svg/);
    const marks = c.name === "d90_vs_pretrain_steps" ? /mark-line/ : /mark-symbol/;
    assert.match(svg, marks, `${c.name} drew its marks`);
  }
  // Text is drawn in the PNG: a text-only placeholder has dark pixels.
  const placeholder = buildCharts([], [], analyze([], options))[0];
  const raster = await rasterizeSvg(await renderSvg(placeholder.spec), { scale: 1 });
  let dark = 0;
  for (let i = 0; i < raster.pixels.length; i += 4) if (raster.pixels[i] < 128) dark++;
  assert.ok(dark > 50, `text pixels drawn: ${dark}`);
  assert.deepEqual([...raster.png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.throws(() => requireFont("/nonexistent/DejaVuSans.ttf"), /fonts-dejavu-core/);
});

Deno.test("d90 vs pretraining steps: checkpoints named model@steps share one panel, step 0 included", () => {
  const base = data.thresholds.find((t) => t.pretrainSteps !== undefined)!;
  const ts: ThresholdResult[] = [0, 300, 1500].map((steps) => ({
    ...base,
    model: `tiny-bert@${steps}`,
    pretrainSteps: steps,
  }));
  const c = buildCharts([], ts, analyze(ts, options)).find((x) =>
    x.name === "d90_vs_pretrain_steps"
  )!;
  const values = (c.spec as Any).data.values as Any[];
  assert.deepEqual([...new Set(values.map((v) => v.panel))], [`tiny-bert · ${base.task}`]);
  assert.deepEqual(values.map((v) => v.pretrainSteps), [0, 300, 1500]);
});
