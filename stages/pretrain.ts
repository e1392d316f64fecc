/**
 * Stage `pretrain`: masked-language-model pretraining of a tiny BERT-style encoder on the
 * embedded `nlp-corpus` (the embedded default has no pretrained weights to download), one
 * instance per checkpoint of a run.
 *
 * - `steps: 0` is the seeded random initialisation (a valid checkpoint: d90 at step 0).
 * - `from` (an earlier `pretrain` instance of the same run) continues its weights, Adam moments
 *   and data order and runs only `steps − from.steps` more steps, so a chain
 *   `pretrain{steps=300}` → `pretrain{steps=1000, from=…}` costs the longest checkpoint once. The
 *   lr schedule (linear warm-up over `warmup_ratio · schedule_steps`, linear decay to 0 at
 *   `schedule_steps`) is laid over `schedule_steps`, which every checkpoint of a chain must set to
 *   the chain's last step count (checked when the pipeline is planned), so a chained checkpoint
 *   has exactly the weights of a straight run of the same steps.
 * - A killed run resumes from its scratch checkpoint (every `checkpoint_every` steps).
 *
 * Outputs a model artifact in the `download-model` format (`config.json`, `weights.bin`,
 * `weights.json`, `tokenizer.json`, `model.json`) plus `optimizer_state.bin` /
 * `optimizer_state.json`; `export-graphs` reads it with `model: {kind: "pretrain", params}`, and
 * fine-tuning initialises a fresh classification head on it, as HF does for an MLM checkpoint.
 * See `lib/pretrain/`.
 *
 * @module
 */
import type { z } from "zod";
import { defineStage, type InstanceRef, type Json } from "../lib/pipeline/stage.ts";
import { PRETRAIN_OUTPUTS, pretrainParamsSchema, runPretrain } from "../lib/pretrain/mod.ts";

/** The parsed parameters of `pretrain`. */
export type PretrainStageParams = z.infer<typeof pretrainParamsSchema>;

export const pretrainStage = defineStage({
  kind: "pretrain",
  description: "MLM-pretrain a tiny BERT-style encoder on the embedded corpus (one checkpoint)",
  module: import.meta.url,
  params: pretrainParamsSchema,
  inputs: (p) => {
    const refs: Record<string, InstanceRef> = {
      tokenizer: { kind: p.tokenizer.kind, params: p.tokenizer.params as Record<string, Json> },
    };
    if (p.from) refs.from = { kind: p.from.kind, params: p.from.params as Record<string, Json> };
    return refs;
  },
  outputs: () => [...PRETRAIN_OUTPUTS],
  resources: (p) => ({ cpus: p.threads, memoryMiB: 2048 }),
  label: (p) => `${p.name} step=${p.steps}`,
  publish: (p) => `models/${p.name}-step${p.steps}`,
  async run(ctx) {
    const p = ctx.params;
    const m = await runPretrain(p, {
      tokenizer: ctx.inputs.tokenizer,
      from: p.from ? ctx.inputs.from : undefined,
      outDir: ctx.outDir,
      scratchDir: ctx.scratchDir,
    }, {
      log: ctx.log,
      progress: ctx.progress,
      signal: ctx.signal,
      device: ctx.device,
    });
    ctx.log(
      `pretrained ${p.name} to step ${p.steps} (${m.ranSteps} steps here` +
        `${m.secondsPerStep ? `, ${(1000 * m.secondsPerStep).toFixed(1)} ms/step` : ""})`,
    );
  },
});

export default pretrainStage;
