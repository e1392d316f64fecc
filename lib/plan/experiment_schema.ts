/**
 * The `experiment:` section of `pipeline.yaml`: models, tasks, which (model, task) pairs to
 * study, the training settings, the d and r grids with their learning-rate grids, and the
 * threshold. This schema is the config reference: README.md documents the same keys.
 *
 * @module
 */
import { z } from "zod";

const positiveInt = z.number().int().positive();
/** A grid of learning rates (each value once: lib/plan/validate.ts locates a repeat). */
const lrGrid = z.array(z.number().positive()).min(1);
/**
 * A learning-rate rule whose grid moves with the size (see lib/plan/lr_grid.ts): centre lr at size
 * s = center · (s / at)^slope, and `count` lrs spaced by `factor` around it.
 */
const lrRule = z.strictObject({
  /** The centre lr at size `at`. */
  center: z.number().positive(),
  /** The size (d or r) where the centre is `center`. */
  at: z.number().positive(),
  /** Exponent of the centre's power law in the size (e.g. −0.5: 4× the size, half the lr). */
  slope: z.number().min(-4).max(4),
  /** Ratio between neighbouring lrs (> 1). */
  factor: z.number().min(1.05).max(100),
  /** Number of lrs per point. */
  count: z.number().int().min(1).max(20),
});
/** A grid of d or r (each value once: lib/plan/validate.ts locates a repeat). */
const sizeGrid = z.array(positiveInt).min(1);

/** Training settings; each method section may override any of them. */
export const trainSettingsSchema = z.strictObject({
  /** Examples per step (compiled into the graphs). */
  batch: positiveInt.optional(),
  /** Optimizer steps per run; give steps or epochs. */
  steps: positiveInt.optional(),
  epochs: z.number().positive().optional(),
  /** Evaluate on the select and report splits every this many steps. */
  eval_every: positiveInt.optional(),
  /** Linear warm-up, as a fraction of the steps; then linear decay to 0. */
  warmup_ratio: z.number().min(0).max(1).optional(),
  decay: z.enum(["linear", "constant"]).optional(),
  /** AdamW decoupled weight decay, and gradient clipping by global norm (0: off). */
  weight_decay: z.number().min(0).optional(),
  clip_norm: z.number().min(0).optional(),
  /** Dropout in training (hidden and attention), as BERT's 0.1; 0 turns it off. */
  dropout: z.number().min(0).max(0.9).optional(),
  /** Checkpoint every this many steps so a killed run resumes (default: every evaluation). */
  checkpoint_every: z.number().int().min(0).optional(),
});

/** Resolved training settings (defaults applied). */
export interface TrainSettings {
  batch: number;
  steps?: number;
  epochs?: number;
  eval_every: number;
  warmup_ratio: number;
  decay: "linear" | "constant";
  weight_decay: number;
  clip_norm: number;
  dropout: number;
  checkpoint_every?: number;
}

/** Defaults of `experiment.train`. */
export const TRAIN_DEFAULTS: TrainSettings = {
  batch: 32,
  eval_every: 100,
  warmup_ratio: 0.06,
  decay: "linear",
  weight_decay: 0.01,
  clip_norm: 1.0,
  dropout: 0,
};

const hubModel = z.strictObject({
  source: z.literal("hub"),
  /** Hub repository, e.g. `FacebookAI/roberta-large`. */
  repo: z.string().min(1),
  /** Branch, tag or commit; pin a commit for reproducibility. */
  revision: z.string().default("main"),
  /** Tokenizer files besides config.json (default tokenizer.json). */
  tokenizer_files: z.array(z.string()).optional(),
});

const localModel = z.strictObject({
  source: z.literal("local"),
  /** A directory in the Hub's layout: config.json, model.safetensors, tokenizer.json. */
  path: z.string().min(1),
});

const pretrainModel = z.strictObject({
  source: z.literal("pretrain"),
  /** Vocabulary of the embedded bert-base-uncased tokenizer, restricted to the N most frequent. */
  vocab_size: positiveInt.nullable().default(8000),
  hidden: positiveInt,
  layers: positiveInt,
  heads: positiveInt,
  intermediate: positiveInt,
  /** Longest sequence the position embeddings cover. */
  max_position: positiveInt.default(128),
  /** Pretraining checkpoints (total MLM steps); 0 is the random initialisation. */
  checkpoints: z.array(z.number().int().min(0)).min(1),
  /** Which checkpoint the main sweeps fine-tune (default: the last). */
  use_checkpoint: z.number().int().min(0).optional(),
  batch: positiveInt.default(32),
  seq: positiveInt.default(64),
  lr: z.number().positive().default(1e-3),
  /** Cap on corpus sentences (null: all 100k). */
  max_sentences: positiveInt.nullable().default(null),
  seed: z.number().int().min(0).default(0),
});

/** One model: from the Hub, a local directory, or pretrained by the pipeline. */
export const modelSchema = z.discriminatedUnion("source", [hubModel, localModel, pretrainModel]);

/** One task. */
export const taskSchema = z.strictObject({
  /** The dataset: a task idim knows (mrpc, sst2, qqp, anli, anli-r1.., spam, brown-genre, ...). */
  dataset: z.string().min(1).optional(),
  /** Hub overrides for mirrors or forks. */
  repo: z.string().optional(),
  config: z.string().optional(),
  revision: z.string().optional(),
  /** Subsample sizes (seeded, stratified by label); null = all. */
  n_train: positiveInt.nullable().optional(),
  n_select: positiveInt.nullable().optional(),
  n_report: positiveInt.nullable().optional(),
  /** Tokens per example, special tokens included. */
  max_length: positiveInt.default(128),
  /**
   * brown-genre: the 15 genres (`genre15`) or a coarse 4-way grouping (`coarse4`); spam: ham or
   * spam (`binary`, the default) or the corpus folder of the email (`source`, 5 labels).
   */
  labels: z.enum(["genre15", "coarse4", "binary", "source"]).optional(),
  /** brown-same-doc: negatives from the same genre (harder) or any other document. */
  negatives: z.enum(["same-genre", "any-document"]).optional(),
  /** brown-genre: consecutive sentences of one document per example (default one). */
  passage: z.number().int().min(2).max(20).optional(),
  /** A reference full fine-tuning score: used as the baseline instead of measuring one. */
  reference_baseline: z.number().gt(0).max(1).optional(),
  /** Where the reference baseline comes from (printed in the report). */
  reference_source: z.string().min(1).optional(),
  /** Per-task training overrides (e.g. more steps for a larger task). */
  train: trainSettingsSchema.optional(),
});

const methodCommon = {
  /**
   * Learning-rate grid (a list) or a rule moving with the size; the best lr on the select split
   * is the point's result.
   */
  lr: z.union([lrGrid, lrRule]),
  ...trainSettingsSchema.shape,
};

/** `experiment.full`: the full fine-tuning baseline. */
export const fullSchema = z.strictObject({ ...methodCommon });

/** `experiment.did` / `experiment.said`: the subspace sweeps over d. */
export const subspaceSchema = z.strictObject({
  d: sizeGrid,
  /** One Fastfood per tensor (the common public code) or one global projection (Li et al.). */
  projection: z.enum(["per-tensor", "global"]).default("per-tensor"),
  ...methodCommon,
});

/** `experiment.said` adds where the scales λ sit. */
export const saidSchema = subspaceSchema.extend({
  lambda_per: z.enum(["tensor", "layer"]).default("tensor"),
});

/** `experiment.lora`: the LoRA sweep over r. */
export const loraSchema = z.strictObject({
  r: sizeGrid,
  alpha: z.number().positive().default(16),
  /** Linear layers that get adapters (names inside each attention/FFN block). */
  targets: z.array(z.string().min(1)).min(1).default(["query", "value"]),
  /** Scale by α/√r instead of α/r. */
  rslora: z.boolean().default(false),
  ...methodCommon,
});

/** A set of (model, task) pairs studied together. */
export const studySetSchema = z.strictObject({
  name: z.string().min(1),
  models: z.array(z.string().min(1)).min(1),
  tasks: z.array(z.string().min(1)).min(1),
  /** Methods measured in this set (default: every method configured). */
  methods: z.array(z.enum(["did", "said", "lora"])).min(1).optional(),
});

/** d90 measured at every pretraining checkpoint of a pretrained model. */
export const pretrainingEffectSchema = z.strictObject({
  model: z.string().min(1),
  tasks: z.array(z.string().min(1)).min(1),
  methods: z.array(z.enum(["did", "said", "lora"])).min(1).default(["did"]),
});

/** The whole `experiment:` section. */
export const experimentSchema = z.strictObject({
  name: z.string().min(1),
  /** Seeds: every baseline and sweep point runs once per seed. */
  seeds: z.array(z.number().int().min(0)).min(1).default([0]),
  /** ONNX Runtime threads per training run. */
  threads: positiveInt.default(1),
  /** Fraction of the full fine-tuning score to reach (0.9 for d90 / r90). */
  fraction: z.number().gt(0).max(1).default(0.9),
  /**
   * `grid` trains every grid point; `adaptive` bisects the log grid and trains only what it
   * needs; `both` trains the grid and runs the adaptive search beside it on the same (cached)
   * points, so the report compares their d90/r90 and counts the runs the adaptive one saves.
   */
  search: z.enum(["grid", "adaptive", "both"]).default("grid"),
  /**
   * Edge extension: when a point's best lr is its grid's lowest or highest, try up to this many
   * more lrs beyond that end, one at a time (0: off).
   */
  lr_extend: z.number().int().min(0).max(10).default(2),
  /**
   * Which seeds search the lr: `per-seed` (every seed runs the whole grid and picks its own) or
   * `first-seed` (the first seed searches; every other seed trains only at the lr it chose).
   */
  lr_select: z.enum(["per-seed", "first-seed"]).default("per-seed"),
  /** Evaluation policy: select lr on a held-out slice of train (`holdout`) or on validation. */
  policy: z.enum(["holdout", "validation"]).default("holdout"),
  /** Fraction of train held out as the select split (policy holdout). */
  select_fraction: z.number().gt(0).lt(1).default(0.1),
  /** Seed of data splits and subsampling. */
  data_seed: z.number().int().min(0).default(0),
  models: z.record(z.string(), modelSchema),
  tasks: z.record(z.string(), taskSchema),
  sets: z.array(studySetSchema).min(1),
  pretraining_effect: pretrainingEffectSchema.optional(),
  train: trainSettingsSchema.default({}),
  full: fullSchema,
  did: subspaceSchema.optional(),
  said: saidSchema.optional(),
  lora: loraSchema.optional(),
  /**
   * Measure the spectrum of the full fine-tuning update ΔW (and of LoRA at r90, DID at d90) for
   * every baseline of the plan (`delta-spectrum`, one per model, task and seed): `true` for every
   * seed, `first-seed` for the first seed only (its runs are retrained keeping their weights, so
   * each seed costs runs), `false` for none.
   */
  spectrum: z.union([z.boolean(), z.literal("first-seed")]).default(true),
  report: z.strictObject({
    title: z.string().min(1).optional(),
    /** Bootstrap resamples of d90/r90 intervals and of the correlations' CIs. */
    bootstrap_resamples: z.number().int().min(100).max(1_000_000).default(2000),
    /** Seed of every bootstrap (the same config gives the same intervals). */
    bootstrap_seed: z.number().int().min(0).default(1),
  }).default({ bootstrap_resamples: 2000, bootstrap_seed: 1 }),
});

/** The parsed `experiment:` section. */
export type Experiment = z.infer<typeof experimentSchema>;
/** One parsed model entry. */
export type ModelSpec = z.infer<typeof modelSchema>;
/** One parsed task entry. */
export type TaskEntry = z.infer<typeof taskSchema>;
