/**
 * Executors as plug-ins. The engine knows no executor by name: the project's `pipeline.ts` hands
 * `main` a list of plug-ins (the engine's `local` and `inprocess`, and e.g. `executors/slurm.ts`),
 * and the `--executor` choices, the `run.executor` schema, the `run.<name>:` sections, the usage
 * text and the value flags of `run` all derive from that list.
 *
 * A plug-in module lives outside `lib/pipeline/` (like a stage) and reaches the engine only
 * through this module: the interface it implements and the helpers an executor needs (the
 * instance process's command line, its result and log files, its event prefix).
 *
 * @module
 */
import type { z } from "zod";
import { PipelineError } from "./errors.ts";
import type { Executor, Task } from "./executor.ts";
import { type InstanceResult, resultPath } from "./instance_exec.ts";
import { Store } from "./store.ts";

export type { Executor, Task, TaskEvents, TaskOutcome } from "./executor.ts";
export { instanceCommand } from "./executor.ts";
export type { InstanceResult } from "./instance_exec.ts";
export type { Resources } from "./stage.ts";
export { EVENT_PREFIX } from "./run_instance.ts";
export { writeFileAtomic } from "./fsutil.ts";
export { PipelineError } from "./errors.ts";

/** A value flag of `pipeline run` that belongs to one executor, e.g. `--slurm-partition`. */
export interface ExecutorFlag {
  /** `--slurm-partition`. */
  name: string;
  /** Placeholder of its value in the usage text, e.g. `P`. */
  value: string;
  /** One line of help. */
  help: string;
}

/** What an executor plug-in receives to build its settings. */
export interface ExecutorSettingsInput {
  /** The validated `run.<name>:` section (`{}` when absent or when the plug-in has no schema). */
  section: unknown;
  /** The plug-in's own flags that were given, by name (`--slurm-time` → `"90"`). */
  flags: Record<string, string>;
  /** Maps a config path (e.g. `["run","slurm","cpus"]`) to `file:line:col`. */
  locate(configPath: (string | number)[]): string;
}

/** What `create` and `dryRun` receive. */
export interface ExecutorContext<O> {
  /** The plug-in's resolved settings (from `settings`). */
  options: O;
  /** The run's bound on instances handed over at once (`--jobs`). */
  jobs: number;
  /** The device handed to stages (opaque to the engine). */
  device: string;
  /** Absolute store path. */
  storePath: string;
  /** Short human-readable notices (submissions, cancellations) for the progress display. */
  notify(message: string): void;
}

/** An executor the CLI can offer as `--executor <name>`. */
export interface ExecutorPlugin<O = unknown> {
  /** The `--executor` value and the key of its `run.<name>:` section. */
  readonly name: string;
  /** One line for the usage text. */
  readonly description: string;
  /** Value flags `run` accepts for this executor (they apply to it only). */
  readonly flags?: readonly ExecutorFlag[];
  /**
   * Schema of the `run.<name>:` section. Without one the section is not allowed. It is validated
   * (errors name file, line and key) when the executor is chosen or the section is present.
   */
  readonly section?: z.ZodType;
  /** Resolves the settings from the section and the flags; throws PipelineError on bad input. */
  settings(input: ExecutorSettingsInput): O;
  /** The `--jobs` default (default: `run.jobs`, else the CPU count). */
  defaultJobs?(options: O): number | undefined;
  /** Builds the executor of one run. */
  create(ctx: ExecutorContext<O>): Executor;
  /** What `run --dry-run` prints for this executor after the list, e.g. batch scripts. */
  dryRun?(tasks: Task[], ctx: ExecutorContext<O>): string;
}

/** Declares an executor plug-in (keeps its settings type). */
export function defineExecutor<O>(plugin: ExecutorPlugin<O>): ExecutorPlugin<O> {
  return plugin;
}

/** The registered plug-in of a name; the error lists the registered ones. */
export function findExecutor(
  // deno-lint-ignore no-explicit-any
  plugins: readonly ExecutorPlugin<any>[],
  name: string,
  where = "--executor",
  // deno-lint-ignore no-explicit-any
): ExecutorPlugin<any> {
  const p = plugins.find((x) => x.name === name);
  if (p) return p;
  throw new PipelineError(
    `${where}: expected ${orList(plugins.map((x) => x.name))}, got "${name}"`,
  );
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** A device option: who owns devices validates them; the engine passes the string on. */
export interface DeviceOption {
  /** The accepted names, if a fixed list (the `run.device` schema becomes an enum of them). */
  readonly choices?: readonly string[];
  /** One line for the usage text. */
  readonly description: string;
  /** Device when neither `run.device` nor `--device` says. */
  readonly default: string;
  /** Validates and normalizes a name; throws an Error whose message names `where`. */
  parse(value: string, where?: string): string;
}

/** Without a device option: any non-empty name, `cpu` by default. */
export const ANY_DEVICE: DeviceOption = {
  description: "execution device handed to stages (not part of keys)",
  default: "cpu",
  parse: (value) => value,
};

/** An instance's last result (`work/<key>/result.json`), if it wrote one. */
export function readInstanceResult(storePath: string, key: string): InstanceResult | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(resultPath(new Store(storePath), key)));
  } catch {
    return undefined;
  }
}

/** The log file of an instance in a store. */
export function instanceLogPath(storePath: string, key: string): string {
  return new Store(storePath).logPath(key);
}
