/**
 * Writes a test-sized variant of the default `pipeline.yaml` for the GPU pipeline check
 * (bench/gpu/run_pipeline.sh): pretraining checkpoints [0, 30], 96/32/48 rows, 12 steps and
 * two-point grids, as in tests/plan/default_pipeline_test.ts, optionally larger (--scale) and
 * without the spam task (--no-spam: its data package does not fit the GPU bundle).
 *   deno run -A bench/gpu/pipeline_config.ts OUT.yaml --store DIR [--scale N] [--no-spam] [--jobs N]
 *
 * @module
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import YAML from "yaml";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    store: { type: "string" },
    scale: { type: "string", default: "1" },
    jobs: { type: "string", default: "2" },
    "no-spam": { type: "boolean", default: false },
  },
});
const out = positionals[0];
if (!out || !values.store) throw new Error("usage: pipeline_config.ts OUT.yaml --store DIR");
const k = Number(values.scale);
const here = new URL("../../pipeline.yaml", import.meta.url);
const doc = YAML.parse(Deno.readTextFileSync(here));
const e = doc.experiment;
doc.run = { ...doc.run, store: values.store, jobs: Number(values.jobs) };
Object.assign(e.models["tiny-bert"], { checkpoints: [0, 30 * k], max_sentences: 2000 });
for (const t of Object.values<Record<string, unknown>>(e.tasks)) {
  Object.assign(t, { n_train: 96 * k, n_select: 32 * k, n_report: 48 * k });
}
e.train = { ...e.train, steps: 12 * k, eval_every: 6 * k };
e.full.lr = [e.full.lr[0]];
e.did = { ...e.did, d: [16, 256], lr: [e.did.lr[1]] };
e.said = { ...e.said, d: [64, 256], lr: [e.said.lr[1]] };
e.lora = { ...e.lora, r: [1, 4], lr: [e.lora.lr[0]] };
if (values["no-spam"]) {
  delete e.tasks.spam;
  for (const s of e.sets) s.tasks = s.tasks.filter((t: string) => t !== "spam");
  e.pretraining_effect.tasks = ["brown-genre"];
}
Deno.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
Deno.writeTextFileSync(out, YAML.stringify(doc));
