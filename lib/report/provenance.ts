/**
 * Provenance of a report: what produced the numbers. The report stage reads it from
 * `provenance.json` in its `results` input and prints every field.
 *
 * @module
 */
import { z } from "zod";

/** A stage instance the results depend on. */
export interface ProvenanceInstance {
  /** Stage kind, e.g. `train-lora`. */
  kind: string;
  /** Display label, e.g. `train-lora{task=mrpc,r=16}`. */
  label: string;
  /** The instance key (content hash). */
  key: string;
}

/** The machine the results were computed on. */
export interface Hardware {
  /** CPU model name, e.g. from `/proc/cpuinfo`. */
  cpuModel: string;
  /** Logical CPU cores. */
  cores: number;
  /** Total memory in GiB. */
  memoryGiB: number;
  /** GPU model(s), if any. */
  gpus?: string[];
  /** Operating system and architecture, e.g. `linux x86_64`. */
  os?: string;
  /** Executor that ran the instances: `local` or a cluster name. */
  executor?: string;
}

/** How runs were evaluated and how the reported numbers were chosen. */
export interface EvaluationPolicy {
  /** The split learning rates and checkpoints are selected on. */
  selectSplit: string;
  /** The split whose metric is reported and compared with the target. */
  reportSplit: string;
  /** How the learning rate is chosen per point. */
  lrSelection: string;
  /** Seeds per point and how they are combined. */
  seeds: string;
  /** Anything else a reader should know. */
  notes?: string;
}

/** A baseline taken from the literature instead of measured by the pipeline. */
export interface ReferenceBaseline {
  model: string;
  task: string;
  metric: string;
  value: number;
  /** Where the number comes from, e.g. `Liu et al. 2019, Table 8`. */
  citation: string;
}

/** Everything the report says about how its numbers were produced (`provenance.json`). */
export interface Provenance {
  /** The pipeline config, verbatim, and its path. */
  config: { path: string; text: string };
  /** The code version: `git describe --always --dirty`, the full commit, and whether dirty. */
  code: { describe: string; commit: string; dirty: boolean };
  /** Every stage instance behind the results. */
  instances: ProvenanceInstance[];
  hardware: Hardware;
  /** Execution provider(s) that ran the training graphs, e.g. `cpu`. */
  executionProvider: string;
  evaluationPolicy: EvaluationPolicy;
  /** Baselines from the config (thresholds with `baselineSource: "reference"`), with citations. */
  referenceBaselines: ReferenceBaseline[];
  /** ISO 8601 time the results were collected. */
  createdAt?: string;
  /**
   * Set when parts of the provenance were not recorded (no `provenance.json` in the results
   * input): says what is missing. The report prints it prominently.
   */
  missing?: string;
}

/** Runtime schema of `provenance.json`. */
export const provenanceSchema = z.object({
  config: z.object({ path: z.string(), text: z.string() }),
  code: z.object({ describe: z.string(), commit: z.string(), dirty: z.boolean() }),
  instances: z.array(z.object({ kind: z.string(), label: z.string(), key: z.string() })),
  hardware: z.object({
    cpuModel: z.string(),
    cores: z.number().int().positive(),
    memoryGiB: z.number().nonnegative(),
    gpus: z.array(z.string()).optional(),
    os: z.string().optional(),
    executor: z.string().optional(),
  }),
  executionProvider: z.string(),
  evaluationPolicy: z.object({
    selectSplit: z.string(),
    reportSplit: z.string(),
    lrSelection: z.string(),
    seeds: z.string(),
    notes: z.string().optional(),
  }),
  referenceBaselines: z.array(z.object({
    model: z.string(),
    task: z.string(),
    metric: z.string(),
    value: z.number(),
    citation: z.string(),
  })),
  createdAt: z.string().optional(),
  missing: z.string().optional(),
});

const NOT_RECORDED = "not recorded";

/**
 * The provenance that can be recovered without `provenance.json`: instance keys (from the
 * records' `key` fields), execution providers (from the runs) and the evaluation policy text;
 * everything else is marked "not recorded", and `missing` says so.
 */
export function derivedProvenance(args: {
  instances: ProvenanceInstance[];
  providers: string[];
  policy: string | null;
  reason: string;
}): Provenance {
  return {
    config: { path: NOT_RECORDED, text: `(${args.reason})` },
    code: { describe: NOT_RECORDED, commit: NOT_RECORDED, dirty: false },
    instances: args.instances,
    hardware: { cpuModel: NOT_RECORDED, cores: 1, memoryGiB: 0 },
    executionProvider: args.providers.length > 0 ? args.providers.join(", ") : NOT_RECORDED,
    evaluationPolicy: {
      selectSplit: args.policy ?? NOT_RECORDED,
      reportSplit: args.policy === null ? NOT_RECORDED : "see the selection policy above",
      lrSelection: args.policy === null ? NOT_RECORDED : "see the selection policy above",
      seeds: NOT_RECORDED,
    },
    referenceBaselines: [],
    missing: `${args.reason}: the config, the code version and the hardware were not ` +
      "recorded; instance keys and execution providers are taken from the result records.",
  };
}

/** True when the hardware block holds real values (not a derived placeholder). */
export function hardwareRecorded(p: Provenance): boolean {
  return p.hardware.cpuModel !== NOT_RECORDED;
}

type Same<A, B extends A> = B;
export type _CheckProvenance = Same<Provenance, z.infer<typeof provenanceSchema>>;
