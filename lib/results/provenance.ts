/**
 * `Provenance`: what produced a study's numbers (config, code version, every instance key,
 * hardware, execution providers, evaluation policy, reference baselines). `collect-results`
 * writes it as `provenance.json` beside `results.json`; the report prints every field.
 *
 * @module
 */
import { z } from "zod";
import { droppedPointSchema, missingRecordSchema } from "./missing.ts";

/** A stage instance the results depend on. */
export const provenanceInstanceSchema = z.object({
  /** Stage kind, e.g. `train-lora`. */
  kind: z.string(),
  /** Display label, e.g. `train-lora{task=mrpc,r=16}`. */
  label: z.string(),
  /** The instance key (content hash). */
  key: z.string(),
});

/** The machine the results were computed on. */
export const hardwareSchema = z.object({
  /** CPU model name, e.g. from `/proc/cpuinfo`. */
  cpuModel: z.string(),
  /** Logical CPU cores. */
  cores: z.number().int().positive(),
  /** Total memory in GiB. */
  memoryGiB: z.number().nonnegative(),
  /** GPU model(s), if any. */
  gpus: z.array(z.string()).optional(),
  /** Operating system and architecture, e.g. `linux x86_64`. */
  os: z.string().optional(),
  /** Executor that ran the instances: `local` or a cluster name. */
  executor: z.string().optional(),
});

/** How runs were evaluated and how the reported numbers were chosen. */
export const evaluationPolicySchema = z.object({
  /** The split learning rates and checkpoints are selected on. */
  selectSplit: z.string(),
  /** The split whose metric is reported and compared with the target. */
  reportSplit: z.string(),
  /** How the learning rate is chosen per point. */
  lrSelection: z.string(),
  /** Seeds per point and how they are combined. */
  seeds: z.string(),
  /** Anything else a reader should know. */
  notes: z.string().optional(),
});

/** A baseline taken from the literature instead of measured by the pipeline. */
export const referenceBaselineSchema = z.object({
  model: z.string(),
  task: z.string(),
  metric: z.string(),
  value: z.number(),
  /** Where the number comes from, e.g. `Liu et al. 2019, Table 8`. */
  citation: z.string(),
});

/** Everything the report says about how its numbers were produced (`provenance.json`). */
export const provenanceSchema = z.object({
  /** The pipeline config, verbatim, and its path. */
  config: z.object({ path: z.string(), text: z.string() }),
  /** The code version: `git describe --always --dirty`, the full commit, and whether dirty. */
  code: z.object({ describe: z.string(), commit: z.string(), dirty: z.boolean() }),
  /** Every stage instance behind the results. */
  instances: z.array(provenanceInstanceSchema),
  hardware: hardwareSchema,
  /** Execution provider(s) that ran the training graphs, e.g. `cpu`. */
  executionProvider: z.string(),
  evaluationPolicy: evaluationPolicySchema,
  /** Baselines from the config (thresholds with `baselineSource: "reference"`), with citations. */
  referenceBaselines: z.array(referenceBaselineSchema),
  /** ISO 8601 time the results were collected. */
  createdAt: z.string().optional(),
  /**
   * Set when parts of the provenance were not recorded (no `provenance.json` in the results
   * input): says what is missing. The report prints it prominently.
   */
  missing: z.string().optional(),
  /** Grid points the planner dropped because they cannot exist for a model. */
  droppedPoints: z.array(droppedPointSchema).optional(),
  /** Instances that failed at run time and that the results go without. */
  failures: z.array(missingRecordSchema).optional(),
});

/** A stage instance the results depend on. */
export type ProvenanceInstance = z.infer<typeof provenanceInstanceSchema>;
/** The machine the results were computed on. */
export type Hardware = z.infer<typeof hardwareSchema>;
/** How runs were evaluated and how the reported numbers were chosen. */
export type EvaluationPolicy = z.infer<typeof evaluationPolicySchema>;
/** A baseline taken from the literature. */
export type ReferenceBaseline = z.infer<typeof referenceBaselineSchema>;
/** Everything the report says about how its numbers were produced. */
export type Provenance = z.infer<typeof provenanceSchema>;
