/**
 * What the pipeline CLI needs to offer `--executor slurm`: the `--slurm-*` flags, building the
 * executor from `run.slurm:` plus those flags, and the `--dry-run` listing of batch scripts.
 *
 * @module
 */
import type { Instance } from "../pipeline/dag.ts";
import type { Task } from "../pipeline/executor.ts";
import { resolveSlurmOptions, type SlurmFlags, type SlurmOptions } from "./options.ts";
import { renderDryRun, SlurmExecutor } from "./slurm_executor.ts";

/** The value flags `pipeline run` accepts for Slurm, with their help lines. */
export const SLURM_RUN_FLAGS: Record<string, string> = {
  "--slurm-partition": "Slurm partition of every job (overrides run.slurm.partition)",
  "--slurm-account": "Slurm account to charge (overrides run.slurm.account)",
  "--slurm-time": "default time limit of a job, minutes or D-HH:MM:SS (overrides run.slurm.time)",
  "--slurm-flags": 'extra sbatch options, space-separated, e.g. "--qos=long --constraint=a100"',
};

/** Reads the `--slurm-*` flags from the CLI's parsed flag map. */
export function slurmFlagsFrom(flags: Map<string, string | true>): SlurmFlags {
  const str = (name: string) => {
    const v = flags.get(name);
    return typeof v === "string" ? v : undefined;
  };
  const extra = str("--slurm-flags");
  return {
    partition: str("--slurm-partition"),
    account: str("--slurm-account"),
    time: str("--slurm-time"),
    flags: extra ? extra.trim().split(/\s+/) : undefined,
  };
}

/**
 * Resolves the executor's settings from the config's `run.slurm:` section and the flags.
 * @param env environment for the Slurm client commands (e.g. `{ SLURM_CONF }`); default: inherited.
 */
export function slurmOptionsFor(
  section: unknown,
  flags: SlurmFlags,
  locate?: (p: (string | number)[]) => string,
  env: Record<string, string> = {},
): SlurmOptions {
  const opts = resolveSlurmOptions(section, flags, locate);
  opts.env = env;
  return opts;
}

/** The Slurm executor for a run; `notify` receives submission and cancellation notices. */
export function createSlurmExecutor(
  opts: SlurmOptions,
  notify?: (message: string) => void,
): SlurmExecutor {
  return new SlurmExecutor(opts, { notify });
}

/** The task the runner would hand over for an instance. */
export function taskOf(inst: Instance, storePath: string, device: string): Task {
  return {
    key: inst.key,
    id: inst.id,
    kind: inst.kind,
    storePath,
    resources: inst.resources,
    device,
  };
}

/** `--dry-run --executor slurm`: the batch scripts the instances that would run would get. */
export function slurmDryRun(
  toRun: Instance[],
  storePath: string,
  device: string,
  opts: SlurmOptions,
): string {
  return renderDryRun(toRun.map((i) => taskOf(i, storePath, device)), opts);
}
