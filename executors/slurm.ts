/**
 * `--executor slurm` as a plug-in: the `--slurm-*` flags, the `run.slurm:` section (schema in
 * `lib/cluster/options.ts`), building the executor from them, and the `--dry-run` listing of the
 * batch scripts a run would submit (docs/cluster.md).
 *
 * @module
 */
import {
  defineExecutor,
  type ExecutorFlag,
  type ExecutorPlugin,
  PipelineError,
  validateSection,
} from "../lib/pipeline/mod.ts";
import {
  type SlurmFlags,
  SlurmOptionError,
  type SlurmOptions,
  slurmOptionsFrom,
  type SlurmSection,
  slurmSectionSchema,
} from "../lib/cluster/mod.ts";
import { renderDryRun, SlurmExecutor } from "./slurm_executor.ts";

/** The value flags `pipeline run` accepts for Slurm, with their help lines. */
export const SLURM_RUN_FLAGS: readonly ExecutorFlag[] = [
  {
    name: "--slurm-partition",
    value: "P",
    help: "Slurm partition of every job (overrides run.slurm.partition)",
  },
  {
    name: "--slurm-account",
    value: "A",
    help: "Slurm account to charge (overrides run.slurm.account)",
  },
  {
    name: "--slurm-time",
    value: "T",
    help: "default time limit of a job, minutes or D-HH:MM:SS (overrides run.slurm.time)",
  },
  {
    name: "--slurm-flags",
    value: '"…"',
    help: 'extra sbatch options, space-separated, e.g. "--qos=long --constraint=a100"',
  },
];

/** Reads the `--slurm-*` flags from the values given, by flag name. */
export function slurmFlagsFrom(flags: Record<string, string>): SlurmFlags {
  const extra = flags["--slurm-flags"];
  return {
    partition: flags["--slurm-partition"],
    account: flags["--slurm-account"],
    time: flags["--slurm-time"],
    flags: extra ? extra.trim().split(/\s+/) : undefined,
  };
}

/** Merges the flags over a validated section; a bad flag value is a PipelineError. */
function optionsFrom(section: SlurmSection, flags: SlurmFlags): SlurmOptions {
  try {
    return slurmOptionsFrom(section, flags);
  } catch (e) {
    if (e instanceof SlurmOptionError) throw new PipelineError(e.message);
    throw e;
  }
}

/**
 * Validates the `run.slurm:` section and merges the command-line flags over it.
 * @param raw the section as parsed from YAML (undefined when absent).
 * @param flags the `--slurm-*` flags.
 * @param locate maps a config path (e.g. `["run","slurm","cpus"]`) to `file:line:col`.
 * @throws PipelineError naming the file, line and key of every problem.
 */
export function resolveSlurmOptions(
  raw: unknown,
  flags: SlurmFlags = {},
  locate: (p: (string | number)[]) => string = () => "pipeline.yaml",
): SlurmOptions {
  return optionsFrom(validateSection(slurmSectionSchema, raw, ["run", "slurm"], locate), flags);
}

/** `--executor slurm`: each ready instance becomes a batch job (arrays for waves of a sweep). */
export const slurmExecutor: ExecutorPlugin<SlurmOptions> = defineExecutor({
  name: "slurm",
  description: "a Slurm batch job per instance (docs/cluster.md)",
  flags: SLURM_RUN_FLAGS,
  section: slurmSectionSchema,
  settings: ({ section, flags }) => optionsFrom(section as SlurmSection, slurmFlagsFrom(flags)),
  // --jobs bounds the instances queued or running at once (run.slurm.maxJobs).
  defaultJobs: (opts) => opts.maxJobs,
  create: ({ options, notify }) => new SlurmExecutor(options, { notify }),
  dryRun: (tasks, { options }) =>
    "\nbatch scripts (each is submitted once its instances' inputs are committed):\n\n" +
    renderDryRun(tasks, options),
});
