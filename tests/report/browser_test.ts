/**
 * Opens the generated `index.html` from file:// in headless Chromium (Debian's `chromium`,
 * driven by playwright-core) and checks that every chart drew marks and that the console
 * stayed free of errors. Saves a full-page screenshot to
 * `.idim/test-artifacts/report/screenshot.png` (or `$IDIM_TEST_ARTIFACTS/report/`).
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { CHART_NAMES } from "../../lib/report/charts/mod.ts";
import { writeReport } from "../../lib/report/write_report.ts";
import { loadFixture, REPO_ROOT, tempDir } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";

/**
 * Runs in the page: marks drawn per view in `window.__idimViews`, counting the items of
 * non-group marks whose role is "mark" (axes, legends and titles have other roles, so a plot
 * that only drew its axes counts 0).
 */
const COUNT_MARKS = (): Record<string, number> => {
  type Node = { marktype?: string; role?: string; items?: Node[] };
  const count = (node: Node | undefined): number => {
    if (!node) return 0;
    let n = 0;
    if (node.marktype && node.marktype !== "group" && node.role === "mark") {
      n += node.items?.length ?? 0;
    }
    for (const child of node.items ?? []) n += count(child);
    return n;
  };
  // deno-lint-ignore no-explicit-any
  const views = (globalThis as any).__idimViews as Record<string, { scenegraph(): { root: Node } }>;
  return Object.fromEntries(
    Object.entries(views).map(([k, v]) => [k, count(v.scenegraph().root)]),
  );
};
const STEP_MS = 30_000;

Deno.test("the report opens offline from file:// in Chromium, every chart draws marks, no console errors", async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium ` +
        "fonts-dejavu-core); .ci/run installs it.",
    );
  }
  const out = tempDir();
  const profile = tempDir("idim-chromium-");
  const artifacts = join(
    Deno.env.get("IDIM_TEST_ARTIFACTS") ?? join(REPO_ROOT, ".idim", "test-artifacts"),
    "report",
  );
  // A fresh profile per run: launchPersistentContext passes it as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: STEP_MS,
    viewport: { width: 1500, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    await writeReport(loadFixture(), out);
    const html = readFileSync(join(out, "index.html"), "utf8");
    assert.doesNotMatch(html, /<script[^>]+src=/i, "no external scripts");
    assert.doesNotMatch(html, /sourceMappingURL/, "source-map comments stripped");

    // Offline: any request that is not a file:// URL fails the test.
    const external: string[] = [];
    await context.route(/^(?!file:)/, (route) => {
      external.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));

    await page.goto(pathToFileURL(join(out, "index.html")).href, { timeout: STEP_MS });
    await page.waitForSelector("html[data-charts]", { state: "attached", timeout: STEP_MS });
    assert.equal(await page.getAttribute("html", "data-charts"), "ready", errors.join("\n"));

    // Count marks in each view's scenegraph: items of non-group marks (axes, legends and
    // titles have other roles, so empty plots with axes count 0).
    const counts = await page.evaluate(COUNT_MARKS, null);
    assert.deepEqual(Object.keys(counts).sort(), [...CHART_NAMES].sort(), "every chart embedded");
    for (const name of CHART_NAMES) {
      assert.ok(counts[name] > 0, `chart ${name} rendered no marks`);
    }
    // Each chart is an SVG in the page.
    assert.equal(await page.locator(".chart svg.marks").count(), CHART_NAMES.length);
    // The statistics and provenance sections are there.
    assert.match(await page.locator("#answers").innerText(), /Spearman ρ = /);
    assert.match(await page.locator("#provenance").innerText(), /reference baseline/);

    // Tooltips: hovering a point of the d90–r90 chart shows its model, task and values
    // (force: points may overlap, and whichever is on top has a tooltip too).
    await page.locator("#chart-d90_vs_r90 .mark-symbol path").first().hover({
      timeout: STEP_MS,
      force: true,
    });
    const tooltip = page.locator("#vg-tooltip-element");
    await tooltip.waitFor({ state: "visible", timeout: STEP_MS });
    assert.match(await tooltip.innerText({ timeout: STEP_MS }), /d90[\s\S]*r90/);

    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, "screenshot.png");
    await page.screenshot({ path: shot, fullPage: true, timeout: STEP_MS });
    const png = readFileSync(shot);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "screenshot is a PNG");
    assert.ok(png.readUInt32BE(16) >= 1000 && png.readUInt32BE(20) > 1000, "full-page size");
    rmSync(join(artifacts, "site"), { recursive: true, force: true });
    cpSync(out, join(artifacts, "site"), { recursive: true });

    assert.deepEqual(external, [], "the page requested nothing outside file://");
    assert.deepEqual(errors, [], "console errors");

    // The counter is not fooled by axes: a chart whose data cannot load (a URL, blocked over
    // file://) draws axes but counts 0 marks.
    await page.evaluate(async () => {
      // deno-lint-ignore no-explicit-any
      const g = globalThis as any;
      const div = g.document.createElement("div");
      div.id = "empty-probe";
      g.document.body.appendChild(div);
      const result = await g.vegaEmbed("#empty-probe", {
        data: { url: "does-not-exist.csv" },
        mark: "point",
        encoding: {
          x: { field: "a", type: "quantitative" },
          y: { field: "b", type: "quantitative" },
        },
      }, { renderer: "svg", actions: false });
      await result.view.runAsync();
      g.__idimViews = { probe: result.view };
    });
    assert.deepEqual(await page.evaluate(COUNT_MARKS, null), { probe: 0 });
  } finally {
    await context.close();
    rmSync(out, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
});
