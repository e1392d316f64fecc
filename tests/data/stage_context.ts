/** A hand-made StageContext for calling a stage's `run` directly in tests. */
import type { StageContext, StageDefinition } from "../../lib/pipeline/stage.ts";
import type { z } from "zod";

/**
 * The context fields a hand-made test context rarely cares about: a fixed key, no input keys, no failed inputs,
 * the working directory as project root, and no on-demand inputs.
 */
export function contextDefaults(): Pick<
  StageContext<unknown>,
  "key" | "inputKeys" | "failedInputs" | "projectRoot" | "obtain"
> {
  return {
    key: "0".repeat(64),
    inputKeys: {},
    failedInputs: {},
    projectRoot: Deno.cwd(),
    obtain: (name) => Promise.reject(new Error(`no on-demand input "${name}" in a test context`)),
  };
}

/** Runs a stage with temp out/scratch dirs; returns the outDir and the log lines. */
export async function runStage<S extends z.ZodType>(
  stage: StageDefinition<S>,
  rawParams: unknown,
  inputs: Record<string, string> = {},
  dirs: { outDir?: string; scratchDir?: string } = {},
): Promise<{ outDir: string; scratchDir: string; log: string[]; params: z.infer<S> }> {
  const outDir = dirs.outDir ?? await Deno.makeTempDir({ prefix: "idim-out-" });
  const scratchDir = dirs.scratchDir ?? await Deno.makeTempDir({ prefix: "idim-scratch-" });
  const log: string[] = [];
  const params = stage.params.parse(rawParams) as z.infer<S>;
  const ctx: StageContext<z.infer<S>> = {
    ...contextDefaults(),
    params,
    inputs,
    outDir,
    scratchDir,
    device: "cpu",
    log: (m) => log.push(m),
    progress: () => {},
    signal: new AbortController().signal,
  };
  await stage.run(ctx);
  return { outDir, scratchDir, log, params };
}
