/**
 * `delta-spectrum`: the singular-value spectrum of the fine-tuning update ΔW = W − W0 of every
 * attention (query, key, value, output) and feed-forward matrix of every layer, for the chosen
 * full fine-tuning run of one (model, task, seed) — the best lr of the baseline's `lr-search`
 * point — and, for comparison, the LoRA run at r90 and the DID run at d90 (read from the
 * thresholds). The runs are on-demand inputs: weight-keeping twins of the chosen runs
 * (lib/spectrum/spectrum_params.ts). Writes `spectrum.json` (lib/results/delta_spectrum.ts).
 *
 * @module
 */
import { defineStage } from "../lib/pipeline/stage.ts";
import { SPECTRUM_FILE, writeDeltaSpectrum } from "../lib/results/mod.ts";
import {
  measureSeed,
  spectrumInputs,
  spectrumOnDemand,
  spectrumParamsSchema,
} from "../lib/spectrum/mod.ts";

export const deltaSpectrumStage = defineStage({
  kind: "delta-spectrum",
  description: "singular values of ΔW per matrix: full fine-tuning vs LoRA at r90 vs DID at d90",
  module: import.meta.url,
  params: spectrumParamsSchema,
  inputs: spectrumInputs,
  onDemand: spectrumOnDemand,
  outputs: () => [SPECTRUM_FILE],
  label: (p) => `model=${p.model},task=${p.task},seed=${p.seed}`,
  resources: () => ({ cpus: 1, memoryMiB: 4096 }),
  async run(ctx) {
    const doc = await measureSeed(ctx);
    for (const r of doc.runs) {
      ctx.log(
        `${r.method}${r.size !== null ? ` size ${r.size}` : ""}: ${r.status}` +
          (r.reason ? ` (${r.reason})` : `, ${r.matrices.length} matrices`),
      );
    }
    writeDeltaSpectrum(ctx.outDir, doc);
  },
});
