/** The report's ΔW-spectrum section: rows, stated correlations and every declared file. */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { DeltaSpectrum } from "../../lib/results/delta_spectrum.ts";
import type { ThresholdResult } from "../../lib/results/threshold_result.ts";
import { analyzeSpectra } from "../../lib/report/spectrum_analysis.ts";
import { writeSpectrumSection } from "../../lib/report/spectrum_section.ts";
import { spectrumFiles } from "../../lib/report/report_files.ts";

function doc(task: string, e90: number): DeltaSpectrum {
  const matrix = (type: string) => ({
    layer: 0,
    type,
    name: `encoder.layer.0.${type}.weight`,
    shape: [4, 4],
    singularValues: [2, 1, 0.5, 0.1],
    effectiveRank: { e50: 1, e90: e90, e99: 4 },
    stableRank: 1.3,
    frobenius: 2.3,
    relativeFrobenius: 0.01,
  });
  return {
    model: "m",
    task,
    seed: 0,
    layers: 1,
    loraTypes: ["query", "value"],
    method: "test",
    runs: [{
      method: "full",
      size: null,
      lr: 1e-3,
      status: "ok",
      matrices: ["query", "key", "value"].map(matrix),
    }],
  };
}

function threshold(task: string, method: "lora" | "did", value: number | null) {
  return { model: "m", task, method, value } as unknown as ThresholdResult;
}

Deno.test("spectrum section: one row per pair, 'no relation' stated, every file written", async () => {
  const docs = [doc("a", 1), doc("b", 2), doc("c", 3)];
  const ts = [threshold("a", "lora", 1), threshold("b", "lora", 4), threshold("c", "lora", 2)];
  const a = analyzeSpectra(docs, ts, { resamples: 200 });
  assert.deepEqual(a.rows.map((r) => [r.task, r.fullE90Targets, r.r90, r.d90]), [
    ["a", 1, 1, null],
    ["b", 2, 4, null],
    ["c", 3, 2, null],
  ]);
  assert.match(a.correlations[0].statement, /r90/);
  assert.match(a.correlations[1].statement, /Too few points/);
  const out = Deno.makeTempDirSync();
  Deno.writeTextFileSync(path.join(out, "index.html"), "<html><body></body></html>");
  const written = await writeSpectrumSection(docs, ts, out, { bootstrap: { resamples: 200 } });
  assert.deepEqual(
    written.sort(),
    spectrumFiles(docs.map((d) => ({ model: d.model, task: d.task }))).sort(),
  );
  assert.match(Deno.readTextFileSync(path.join(out, "index.html")), /href="spectrum.html"/);
  Deno.removeSync(out, { recursive: true });
});
