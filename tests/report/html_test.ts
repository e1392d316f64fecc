import { fallLines, lrEdgeRows, lrEdgeSummary } from "../../lib/report/diagnostics.ts";
import assert from "node:assert/strict";
import { analyze } from "../../lib/report/analysis.ts";
import { buildCharts } from "../../lib/report/charts/mod.ts";
import { buildPage, escapeHtml, scriptJson } from "../../lib/report/html.ts";
import { inlineSafe, readLibraries } from "../../lib/report/libraries.ts";
import { summaryRows } from "../../lib/report/tables.ts";
import { loadFixture } from "./helpers.ts";

Deno.test("inlined code cannot close its script element and carries no source maps", () => {
  const code = 'a="</script>";\n//# sourceMappingURL=x.map\nb="<!--"';
  const safe = inlineSafe(code);
  assert.ok(!/<\/script/i.test(safe));
  assert.ok(!safe.includes("sourceMappingURL"));
  assert.ok(!safe.includes("<!--"));
  assert.equal(scriptJson({ a: "</script><b>" }), '{"a":"\\u003c/script>\\u003cb>"}');
  assert.deepEqual(JSON.parse(scriptJson({ a: "</script>" })), { a: "</script>" });
  assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});

Deno.test("the libraries are the pinned UMD builds", () => {
  const libs = readLibraries();
  assert.deepEqual(libs.map((l) => `${l.name}@${l.version}`), [
    "vega@6.2.0",
    "vega-lite@6.4.1",
    "vega-embed@7.3.0",
  ]);
  for (const l of libs) assert.ok(l.code.length > 50_000 && !/<\/script/i.test(l.code));
});

Deno.test("the page embeds every spec, the libraries, and escapes provenance text", () => {
  const data = loadFixture();
  data.provenance.config.text += "\n# <script>alert(1)</script>";
  const analysis = analyze(data.thresholds, {
    statistic: "value",
    bootstrap: { resamples: 200, seed: 1, confidence: 0.95 },
  });
  const charts = buildCharts(data.points, data.thresholds, analysis);
  const html = buildPage({
    title: "T <&>",
    charts,
    analysis,
    summaryRows: summaryRows(data.points, data.thresholds, "value"),
    thresholds: data.thresholds,
    checks: {
      lrEdge: lrEdgeSummary(data.points),
      lrEdgeRows: lrEdgeRows(data.points) as unknown as Record<string, string>[],
      falls: fallLines(data.thresholds),
      searches: [],
    },
    provenance: data.provenance,
    summaryMarkdown: "# md",
    libraries: readLibraries(),
    bootstrap: { resamples: 200, seed: 1 },
    files: {
      summaryCsv: "summary.csv",
      runsCsv: "runs.csv",
      summaryMd: "summary.md",
      stats: "stats.json",
    },
  });
  assert.match(html, /<title>T &lt;&amp;&gt;<\/title>/);
  assert.ok(html.includes("# &lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.equal((html.match(/<script data-library=/g) ?? []).length, 3);
  for (const c of charts) {
    const m = html.match(
      new RegExp(`<script type="application/json" data-chart-spec="${c.name}">(.*?)</script>`, "s"),
    );
    assert.ok(m, `spec block of ${c.name}`);
    assert.deepEqual(JSON.parse(m[1]), JSON.parse(JSON.stringify(c.spec)));
    for (const ext of ["svg", "png", "vl.json"]) {
      assert.ok(html.includes(`href="charts/${c.name}.${ext}"`));
    }
  }
  // Provenance: code version, instance keys, hardware, provider, policy, reference baseline.
  for (
    const s of [
      "v0.1.0-3-gabc1234",
      "8be41d2a90c3",
      "Fixture CPU @ 2.0GHz",
      "Execution provider: <code>cpu</code>",
      "held-out 10% of train",
      "Liu et al. 2019 (RoBERTa), Table 5",
      "Too few points to conclude anything",
    ]
  ) assert.ok(html.includes(s), `page mentions ${s}`);
});
