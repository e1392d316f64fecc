/**
 * Settings of the Slurm executor: the `run.slurm:` section of `pipeline.yaml`, the `--slurm-*`
 * command-line flags, and how per-stage resources are resolved from them and from each stage's
 * declaration.
 *
 * @module
 */
import { z } from "zod";

/** A bad `--slurm-*` flag value; the message names the flag. */
export class SlurmOptionError extends Error {
  /** Creates an error with a complete, user-readable message. */
  constructor(message: string) {
    super(message);
    this.name = "SlurmOptionError";
  }
}

/** The resources a stage declares for one instance (the engine's `Resources`). */
export interface DeclaredResources {
  cpus?: number;
  memoryMiB?: number;
  gpus?: number;
  timeMinutes?: number;
}

/** Slurm time strings: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`. */
const TIME_RE = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/;

/** Converts a Slurm time string or a number of minutes to whole minutes (seconds round up). */
export function parseTimeMinutes(value: string | number): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
  }
  const m = TIME_RE.exec(value.trim());
  if (!m) return undefined;
  const [, d, a, b, c] = m;
  let minutes: number;
  if (d !== undefined) {
    // D-H, D-H:M, D-H:M:S
    minutes = Number(d) * 1440 + Number(a) * 60 + Number(b ?? 0) + Math.ceil(Number(c ?? 0) / 60);
  } else if (c !== undefined) {
    minutes = Number(a) * 60 + Number(b) + Math.ceil(Number(c) / 60); // H:M:S
  } else if (b !== undefined) {
    minutes = Number(a) + Math.ceil(Number(b) / 60); // M:S
  } else {
    minutes = Number(a);
  }
  return minutes > 0 ? minutes : undefined;
}

/** Converts `4096`, `"16G"`, `"500M"`, `"1T"` to MiB. */
export function parseMemoryMiB(value: string | number): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
  }
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(value.trim());
  if (!m) return undefined;
  const scale: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024, "": 1 };
  const mib = Math.ceil(Number(m[1]) * scale[m[2].toUpperCase()]);
  return mib > 0 ? mib : undefined;
}

const timeSchema = z.union([z.number().positive(), z.string()]).refine(
  (v) => parseTimeMinutes(v) !== undefined,
  { message: 'expected minutes or a Slurm time such as 90, "2:00:00" or "1-12:00:00"' },
);
const memorySchema = z.union([z.number().positive(), z.string()]).refine(
  (v) => parseMemoryMiB(v) !== undefined,
  { message: 'expected MiB or a size such as 4096, "16G" or "500M"' },
);
const flagSchema = z.string().regex(/^--?[A-Za-z]/, {
  message: 'expected an sbatch option starting with - or --, e.g. "--qos=normal"',
});

/** Resources and placement that the whole section or one stage kind may set. */
const placementShape = {
  /** CPUs per task (`--cpus-per-task`). */
  cpus: z.number().int().positive().optional(),
  /** Memory per job (`--mem`), MiB or a size string. */
  memory: memorySchema.optional(),
  /** GPUs per job (`--gres=gpu[:type]:N`). */
  gpus: z.number().int().nonnegative().optional(),
  /** Time limit (`--time`), minutes or a Slurm time string. */
  time: timeSchema.optional(),
  /** `--partition`. */
  partition: z.string().min(1).optional(),
  /** `--account`. */
  account: z.string().min(1).optional(),
  /** `--qos`. */
  qos: z.string().min(1).optional(),
  /** GRES type for GPUs, e.g. `a100` gives `--gres=gpu:a100:N`. */
  gpuType: z.string().min(1).optional(),
  /** Further sbatch options, verbatim (e.g. `--constraint=skylake`). */
  extraFlags: z.array(flagSchema).optional(),
};

/** Schema of `run.slurm:` in pipeline.yaml (strict: unknown keys are errors). */
export const slurmSectionSchema = z.strictObject({
  ...placementShape,
  /** Shell lines run in each job before the instance (e.g. `module load deno`). */
  setup: z.array(z.string()).optional(),
  /** The Deno executable on the compute nodes (default: the one running the pipeline). */
  deno: z.string().min(1).optional(),
  /** Group instances of one stage kind that become ready together into a job array. */
  arrays: z.boolean().optional(),
  /** Most elements in one job array (the cluster's MaxArraySize bounds it too). */
  maxArraySize: z.number().int().positive().optional(),
  /** Most elements of one array running at once (`--array=0-N%K`). */
  arrayParallelism: z.number().int().positive().optional(),
  /** Seconds between checks of the jobs' exit-status files. */
  pollSeconds: z.number().positive().optional(),
  /** Seconds between `squeue` calls. */
  squeueSeconds: z.number().positive().optional(),
  /**
   * Seconds to wait for a finished job's exit-status file to appear (a shared file system may
   * show it late) before judging the job by the controller's state alone.
   */
  statusGraceSeconds: z.number().nonnegative().optional(),
  /** Let Slurm requeue a job after a node failure or preemption (default false). */
  requeue: z.boolean().optional(),
  /** Most instances submitted (queued or running) at once: the runner's `--jobs` for Slurm. */
  maxJobs: z.number().int().positive().optional(),
  /** Prefix of job names (`<prefix>-<kind>`). */
  jobName: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
  /** Per stage kind: resources and placement that override the stage's own declaration. */
  stages: z.record(z.string(), z.strictObject(placementShape)).optional(),
});

/** The `run.slurm:` section as written. */
export type SlurmSection = z.infer<typeof slurmSectionSchema>;

/** The `--slurm-*` command-line flags; each overrides the config file. */
export interface SlurmFlags {
  /** `--slurm-partition`. */
  partition?: string;
  /** `--slurm-account`. */
  account?: string;
  /** `--slurm-time`: default time limit. */
  time?: string;
  /** `--slurm-flag` (repeatable): extra sbatch options, appended to the config's. */
  flags?: string[];
}

/** One job's resolved placement: what the sbatch header says. */
export interface JobPlacement {
  cpus: number;
  memoryMiB?: number;
  gpus: number;
  gpuType?: string;
  timeMinutes?: number;
  partition?: string;
  account?: string;
  qos?: string;
  extraFlags: string[];
}

/** The executor's resolved settings. */
export interface SlurmOptions {
  /** Section-wide placement (defaults for every stage). */
  defaults: Partial<JobPlacement> & { extraFlags: string[] };
  /** Per-kind overrides. */
  stages: Record<string, Partial<JobPlacement>>;
  setup: string[];
  deno?: string;
  arrays: boolean;
  maxArraySize: number;
  arrayParallelism?: number;
  pollSeconds: number;
  squeueSeconds: number;
  statusGraceSeconds: number;
  requeue: boolean;
  maxJobs: number;
  jobName: string;
  /** How long submissions are collected before grouping them into arrays (ms). */
  batchWindowMs: number;
  /** Environment for the client commands (e.g. `SLURM_CONF`); the process's own when empty. */
  env: Record<string, string>;
}

function placementOf(p: z.infer<z.ZodObject<typeof placementShape>>): Partial<JobPlacement> {
  const out: Partial<JobPlacement> = {};
  if (p.cpus !== undefined) out.cpus = p.cpus;
  if (p.memory !== undefined) out.memoryMiB = parseMemoryMiB(p.memory);
  if (p.gpus !== undefined) out.gpus = p.gpus;
  if (p.gpuType !== undefined) out.gpuType = p.gpuType;
  if (p.time !== undefined) out.timeMinutes = parseTimeMinutes(p.time);
  if (p.partition !== undefined) out.partition = p.partition;
  if (p.account !== undefined) out.account = p.account;
  if (p.qos !== undefined) out.qos = p.qos;
  if (p.extraFlags !== undefined) out.extraFlags = p.extraFlags;
  return out;
}

/**
 * Merges the command-line flags over a validated `run.slurm:` section (validate it against
 * `slurmSectionSchema` first; the pipeline's plug-in does, naming file, line and key).
 * @param s the section, already validated.
 * @param flags the `--slurm-*` flags.
 * @throws SlurmOptionError for a bad flag value.
 */
export function slurmOptionsFrom(s: SlurmSection, flags: SlurmFlags = {}): SlurmOptions {
  const defaults = { ...placementOf(s), extraFlags: [...(s.extraFlags ?? [])] };
  if (flags.partition) defaults.partition = flags.partition;
  if (flags.account) defaults.account = flags.account;
  if (flags.time !== undefined) {
    const t = parseTimeMinutes(flags.time);
    if (t === undefined) {
      throw new SlurmOptionError(
        `--slurm-time: expected minutes or a Slurm time such as 90 or "2:00:00", got "${flags.time}"`,
      );
    }
    defaults.timeMinutes = t;
  }
  for (const f of flags.flags ?? []) {
    if (!/^--?[A-Za-z]/.test(f)) {
      throw new SlurmOptionError(
        `--slurm-flag: expected an sbatch option such as "--qos=normal", got "${f}"`,
      );
    }
    defaults.extraFlags.push(f);
  }
  const stages: Record<string, Partial<JobPlacement>> = {};
  for (const [kind, p] of Object.entries(s.stages ?? {})) stages[kind] = placementOf(p);
  return {
    defaults,
    stages,
    setup: s.setup ?? [],
    deno: s.deno,
    arrays: s.arrays ?? true,
    maxArraySize: s.maxArraySize ?? 1000,
    arrayParallelism: s.arrayParallelism,
    pollSeconds: s.pollSeconds ?? 2,
    squeueSeconds: s.squeueSeconds ?? 10,
    statusGraceSeconds: s.statusGraceSeconds ?? 60,
    requeue: s.requeue ?? false,
    maxJobs: s.maxJobs ?? 1000,
    jobName: s.jobName ?? "idim",
    batchWindowMs: 200,
    env: {},
  };
}

/**
 * One job's placement: the config's per-kind entry wins over the stage's declared resources,
 * which win over the section-wide defaults. Extra flags accumulate (section, then kind).
 */
export function placementFor(
  kind: string,
  declared: DeclaredResources,
  opts: SlurmOptions,
): JobPlacement {
  const d = opts.defaults;
  const k = opts.stages[kind] ?? {};
  return {
    cpus: k.cpus ?? declared.cpus ?? d.cpus ?? 1,
    memoryMiB: k.memoryMiB ?? declared.memoryMiB ?? d.memoryMiB,
    gpus: k.gpus ?? declared.gpus ?? d.gpus ?? 0,
    gpuType: k.gpuType ?? d.gpuType,
    timeMinutes: k.timeMinutes ?? declared.timeMinutes ?? d.timeMinutes,
    partition: k.partition ?? d.partition,
    account: k.account ?? d.account,
    qos: k.qos ?? d.qos,
    extraFlags: [...d.extraFlags, ...(k.extraFlags ?? [])],
  };
}

/** The sbatch options of a placement, one per `#SBATCH` line. */
export function placementFlags(p: JobPlacement): string[] {
  const f: string[] = [`--cpus-per-task=${p.cpus}`];
  if (p.memoryMiB !== undefined) f.push(`--mem=${Math.ceil(p.memoryMiB)}M`);
  if (p.gpus > 0) f.push(`--gres=gpu:${p.gpuType ? `${p.gpuType}:` : ""}${p.gpus}`);
  if (p.timeMinutes !== undefined) f.push(`--time=${p.timeMinutes}`);
  if (p.partition) f.push(`--partition=${p.partition}`);
  if (p.account) f.push(`--account=${p.account}`);
  if (p.qos) f.push(`--qos=${p.qos}`);
  f.push(...p.extraFlags);
  return f;
}
