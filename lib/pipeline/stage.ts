/**
 * The contract between the pipeline core and every stage module under `stages/`.
 *
 * A stage kind is declared once, with `defineStage`, and that one declaration is the
 * single source of truth for its parameters (a zod schema), its inputs (references to
 * other stage instances, derived from its parameters), its outputs (file names) and its
 * code fingerprint (the declaring module and every project module it uses, barrels followed by
 * the names imported through them: `fingerprint.ts`).
 *
 * @module
 */
import type { z } from "zod";

/** A JSON value: what parameters are made of, canonically serialised for hashing. */
export type { Json } from "../hash/mod.ts";
import type { Json } from "../hash/mod.ts";

/** A reference to a stage instance: its kind and its (unparsed) parameters. */
export interface InstanceRef {
  kind: string;
  params: Record<string, Json>;
}

/** Resources one instance asks for; the local pool and cluster executors read them. */
export interface Resources {
  /** CPU cores (threads) the instance will use. Default 1. */
  cpus?: number;
  /** Peak resident memory in MiB. */
  memoryMiB?: number;
  /** GPUs (cluster executors turn this into `--gres=gpu:N`). */
  gpus?: number;
  /** Wall-time limit in minutes. */
  timeMinutes?: number;
}

/** An input of a tolerant stage whose instance failed (or was skipped) in this run. */
export interface FailedInput {
  /** The upstream instance's display id. */
  id: string;
  /** Its content key. */
  key: string;
  /** Why it is missing (its error, or the failure that made it skip). */
  error: string;
  /** Its log file. */
  log: string;
}

/** A rough compute estimate of one instance, printed by `run --dry-run`. */
export interface Estimate {
  /** Floating-point operations the instance will execute. */
  flops: number;
  /** What the number assumes, e.g. `40,000 steps × 16 × 128 tokens, 355M params`. */
  note?: string;
  /**
   * Wall-clock seconds on a device (`run --device`) and what they are based on (a measured step
   * time, scaled); undefined when nothing is known for that device.
   */
  seconds?(device: string): { seconds: number; basis: string } | undefined;
}

/**
 * What a running stage instance is given: everything it may know about the engine. A stage
 * reads its inputs, writes its outputs and learns its identity only through this context; it
 * never opens the store's folders itself.
 */
export interface StageContext<P> {
  /** The parsed, validated parameters. */
  params: P;
  /** This instance's content key. */
  key: string;
  /** Each declared input name → the directory holding that upstream instance's outputs. */
  inputs: Record<string, string>;
  /** Each declared input name → that upstream instance's content key. */
  inputKeys: Record<string, string>;
  /**
   * Inputs the stage tolerates (see `tolerates`) whose instance failed or was skipped: absent
   * from `inputs`, present here. Empty for a stage that tolerates nothing. A run with a failed
   * input is committed as partial and rerun when that input is retried or becomes available.
   */
  failedInputs: Record<string, FailedInput>;
  /** The project root (the config file's folder): where relative paths of the config point. */
  projectRoot: string;
  /** The directory the stage writes its declared outputs into (a temp dir, committed atomically). */
  outDir: string;
  /**
   * A persistent scratch directory for this instance key (checkpoints for resume). It survives a
   * crash or kill and is deleted after the outputs are committed.
   */
  scratchDir: string;
  /** The execution device chosen on the command line or in the config (not part of the key). */
  device: string;
  /** Append a line to this instance's log file. */
  log(message: string): void;
  /** Report progress: `done` of `total` units, with an optional short note. */
  progress(done: number, total: number, note?: string): void;
  /** Aborted when the pipeline is interrupted; long loops should check it. */
  signal: AbortSignal;
  /**
   * The output directory of the on-demand input `name` (declared by the stage's `onDemand`),
   * running it and whatever it needs first when it is not committed yet. The instance was
   * planned and keyed with the DAG like any other; once obtained it is cached for every later
   * run. Rejects when the name is not declared or the instance fails.
   */
  obtain(name: string): Promise<string>;
}

/** A stage kind: one module under `stages/`, declared with `defineStage`. */
export interface StageDefinition<S extends z.ZodType = z.ZodType> {
  /** The kind's name, e.g. `train-lora`. Instances print as `train-lora{task=mrpc,r=16}`. */
  kind: string;
  /** One line for `pipeline dag` and the report. */
  description: string;
  /** `import.meta.url` of the declaring module: the root of its code fingerprint. */
  module: string;
  /** The parameter schema. Parsed parameters are what the key hashes. */
  params: S;
  /** Upstream instances this one reads, by input name. */
  inputs?: (params: z.infer<S>) => Record<string, InstanceRef>;
  /**
   * Upstream instances this one may need, decided while it runs (the adaptive d90 search asks
   * for the grid points its bisection visits). They are planned and keyed with the DAG — shown by
   * `dag` and `status`, recorded in the lock file once committed, part of this instance's key —
   * but run only when the stage calls `ctx.obtain(name)`.
   */
  onDemand?: (params: z.infer<S>) => Record<string, InstanceRef>;
  /**
   * Input names whose failure this stage accepts (`"all"`: every input). The runner then runs the
   * instance anyway, without those inputs in `ctx.inputs` and with them in `ctx.failedInputs`;
   * the stage records the gap in its own outputs. Failures of other inputs skip it as usual.
   */
  tolerates?: (params: z.infer<S>) => readonly string[] | "all";
  /** The files (relative paths) that `run` writes under `outDir`. */
  outputs: (params: z.infer<S>) => string[];
  /** Resource request, for the local pool's scheduling and for cluster jobs. */
  resources?: (params: z.infer<S>) => Resources;
  /** Compute estimate for `run --dry-run` (training stages give one). */
  estimate?: (params: z.infer<S>) => Estimate | undefined;
  /** Short label for display; defaults to the scalar parameters. */
  label?: (params: z.infer<S>) => string;
  /** Where the outputs are materialized for humans (e.g. `data/spam`), relative to the project. */
  publish?: (params: z.infer<S>) => string | undefined;
  /** Does the work: reads `ctx.inputs`, writes every declared output under `ctx.outDir`. */
  run(ctx: StageContext<z.infer<S>>): Promise<void>;
}

/** Declares a stage kind; the identity function that gives type inference. */
export function defineStage<S extends z.ZodType>(def: StageDefinition<S>): StageDefinition<S> {
  return def;
}
