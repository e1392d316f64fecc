/**
 * The executors this project offers (`--executor`, `run.executor`), in the order the usage text
 * lists them; the first is the default. `pipeline.ts` hands them to the engine's `main`.
 *
 * @module
 */
import { type ExecutorPlugin, inprocessExecutor, localExecutor } from "../lib/pipeline/mod.ts";
import { slurmExecutor } from "./slurm.ts";

/** Every registered executor plug-in. */
// deno-lint-ignore no-explicit-any
export const executors: readonly ExecutorPlugin<any>[] = [
  localExecutor,
  inprocessExecutor,
  slurmExecutor,
];
