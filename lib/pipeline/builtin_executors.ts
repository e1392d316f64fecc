/**
 * The engine's own executors as plug-ins: `local` (a process per instance) and `inprocess`
 * (inside the CLI's process; for tests and benchmarks). A project registers them beside its
 * own (see `executors/mod.ts`); `main` offers them when the project registers none.
 *
 * @module
 */
import { InProcessExecutor, LocalExecutor } from "./executor.ts";
import { defineExecutor, type ExecutorPlugin } from "./executor_plugin.ts";

/** `--executor local`: each instance in its own process (crash isolation, kill -9 safe). */
export const localExecutor: ExecutorPlugin<undefined> = defineExecutor({
  name: "local",
  description: "a process per instance",
  settings: () => undefined,
  create: () => new LocalExecutor(),
});

/** `--executor inprocess`: instances run inside this process, without crash isolation. */
export const inprocessExecutor: ExecutorPlugin<undefined> = defineExecutor({
  name: "inprocess",
  description: "inside this process, no crash isolation (tests, benchmarks)",
  settings: () => undefined,
  create: () => new InProcessExecutor(),
});

/** The engine's executors, `local` first (the default of `run.executor`). */
export const BUILTIN_EXECUTORS: readonly ExecutorPlugin<undefined>[] = [
  localExecutor,
  inprocessExecutor,
];
