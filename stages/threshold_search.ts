/**
 * `threshold-search`: the adaptive alternative to `threshold`. It takes the same grid but runs
 * only the points needed to locate d90/r90: per seed, a bisection on the log grid, each point
 * obtained through the content-addressed store under exactly the key a planned `lr-search`
 * instance would have (cached points are reused; new ones are committed for later runs). When
 * the score rises monotonically with the size, its answer equals the full grid's. It reports
 * how many training runs it saved.
 *
 * @module
 */
import * as path from "node:path";
import { defineStage, type StageDefinition } from "../lib/pipeline/stage.ts";
import { THRESHOLD_FILE, writeThresholdResult } from "../lib/results/threshold_result.ts";
import { adaptiveThreshold } from "../lib/threshold/adaptive_search.ts";
import { baselineInputs, sweepParamsSchema } from "../lib/threshold/sweep_params.ts";
import {
  locateInStore,
  stagesOf,
  storeSubRunner,
  type SubRunner,
} from "../lib/train/sub_runner.ts";

let registryOverride: StageDefinition[] | undefined;

/**
 * Sets the stage kinds sub-runs are planned with, in this process (tests that run the pipeline
 * in-process with their own stage list). By default the project's registry, `stages/mod.ts`.
 */
export function setSearchRegistry(stages: StageDefinition[] | undefined): void {
  registryOverride = stages;
}

/** Loads every stage kind of the project's registry (`stages/mod.ts`). */
async function registry(): Promise<StageDefinition[]> {
  if (registryOverride) return registryOverride;
  // Not a literal import: the registry imports this module, and the key of a search should not
  // change with unrelated stages.
  const url = new URL(["mod", "ts"].join("."), import.meta.url).href;
  return stagesOf(await import(url) as Record<string, unknown>);
}

export const thresholdSearchStage = defineStage({
  kind: "threshold-search",
  description: "adaptive d90 / r90: bisection on the log grid, running only the points it needs",
  module: import.meta.url,
  params: sweepParamsSchema,
  inputs: (p) => baselineInputs(p),
  outputs: () => [THRESHOLD_FILE],
  label: (p) =>
    `model=${p.model},task=${p.task},method=${p.method},fraction=${p.fraction},adaptive`,
  resources: () => ({ cpus: 1 }),
  async run(ctx) {
    const where = locateInStore(ctx.scratchDir);
    if (!where) {
      throw new Error(
        `threshold-search must run inside a pipeline store (scratch dir ${ctx.scratchDir} is not ` +
          `<store>/work/<key>/scratch)`,
      );
    }
    const spec = JSON.parse(
      Deno.readTextFileSync(path.join(where.storePath, "work", where.key, "spec.json")),
    ) as { projectRoot: string };
    const sub: SubRunner = storeSubRunner({
      storePath: where.storePath,
      stages: await registry(),
      device: ctx.device,
      projectRoot: spec.projectRoot,
      log: ctx.log,
      signal: ctx.signal,
    });
    const result = await adaptiveThreshold(ctx.params, ctx.inputs, sub.run, ctx.log);
    ctx.log(
      `adaptive ${ctx.params.method}: value ${result.value}, interpolated ${result.interpolated}; ` +
        `${result.runsUsed} runs used, ${result.runsSaved} saved; sub-instances run ` +
        `${sub.stats.ran}, cached ${sub.stats.cached}`,
    );
    writeThresholdResult(ctx.outDir, result);
  },
});
