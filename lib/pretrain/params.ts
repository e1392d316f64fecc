/**
 * The parameters of the `pretrain` stage (masked-language-model pretraining of a tiny BERT-style
 * encoder on the embedded corpus), their validation, and the rules that chain checkpoints.
 *
 * A *run* is everything but `steps` (and the knobs that do not change the numbers: `name`,
 * `threads`, `checkpoint_every`, `eval_sequences`). Checkpoints of one run are separate stage
 * instances, `pretrain{steps=300}`, `pretrain{steps=1000, from=pretrain{steps=300}}`, …; an instance
 * with `from` continues that instance's weights, Adam moments and data order and runs only the
 * extra steps. For the chain to equal one straight run, every checkpoint must use the same
 * learning-rate schedule: warm-up and linear decay are laid over `schedule_steps`, which must be
 * the chain's LAST step count and the same on every checkpoint (it defaults to `steps`, which is
 * right for a lone instance or the last of a chain).
 *
 * @module
 */
import { z } from "zod";
import { type EncoderConfig, parseConfig } from "../models/mod.ts";

/** An upstream `embedded-tokenizer` instance. */
const TokenizerRef = z.strictObject({
  kind: z.literal("embedded-tokenizer").default("embedded-tokenizer"),
  params: z.record(z.string(), z.unknown()).default({}),
});

/** An upstream `pretrain` instance (an earlier checkpoint of the same run). */
const FromRef = z.strictObject({
  kind: z.literal("pretrain").default("pretrain"),
  params: z.record(z.string(), z.unknown()),
});

/** The parameter schema without the chain checks (used to parse `from.params`). */
export const pretrainBaseSchema = z.strictObject({
  /** The artifact's name: published as `models/<name>-step<steps>`. */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' or '-'"),
  /** The tokenizer (its vocabulary size is the model's). */
  tokenizer: TokenizerRef.default({
    kind: "embedded-tokenizer",
    params: { vocab_size: 4096 },
  }),
  /** The pretraining corpus (the only embedded one). */
  corpus: z.literal("nlp-corpus").default("nlp-corpus"),
  /** Use only the first N sentences of the corpus (null: all 100,000). */
  max_sentences: z.number().int().min(100).nullable().default(null),
  /** Architecture (BERT family, post-LayerNorm, GELU). */
  hidden: z.number().int().min(8).max(1024).default(64),
  layers: z.number().int().min(1).max(24).default(2),
  heads: z.number().int().min(1).max(32).default(2),
  intermediate: z.number().int().min(8).max(8192).default(256),
  /** Position embeddings: the longest sequence the model (and its fine-tuning) can take. */
  max_position: z.number().int().min(8).max(4096).default(128),
  /** Total optimizer steps of this checkpoint (0 = the random initialisation). */
  steps: z.number().int().min(0),
  /** The step count the lr schedule decays over: the chain's last `steps` (default `steps`). */
  schedule_steps: z.number().int().min(1).optional(),
  /** An earlier checkpoint of the same run to continue from. */
  from: FromRef.optional(),
  batch: z.number().int().min(1).max(4096).default(32),
  seq: z.number().int().min(8).max(4096).default(64),
  /** Peak learning rate (AdamW, β = (0.9, 0.98), ε = 1e-6 as RoBERTa). */
  lr: z.number().positive().max(1).default(2e-3),
  /** Linear warm-up over this fraction of `schedule_steps`, then linear decay to 0. */
  warmup_ratio: z.number().min(0).max(1).default(0.06),
  weight_decay: z.number().min(0).default(0.01),
  /** Clip gradients to this global L2 norm (0 = no clipping). */
  clip_norm: z.number().min(0).default(1),
  /** Fraction of tokens to predict (BERT: 0.15; of those 80% [MASK], 10% random, 10% kept). */
  mask_prob: z.number().gt(0).max(0.5).default(0.15),
  seed: z.number().int().min(0).max(0x7fffffff).default(0),
  /**
   * ORT intra-op threads. Default 1: on the 2-core machines, with anything else running, 2
   * threads measured slower (63 vs 45 ms/step, bench/results/pretrain.json).
   */
  threads: z.number().int().min(1).max(256).default(1),
  /** Write a resumable checkpoint to the scratch dir every N steps. */
  checkpoint_every: z.number().int().min(1).default(200),
  /** Held-out sequences scored for the final MLM loss and accuracy. */
  eval_sequences: z.number().int().min(1).default(512),
});

/** Parsed `pretrain` parameters. */
export type PretrainParams = z.infer<typeof pretrainBaseSchema>;

/** Parameters that do not change the trained numbers (free to differ along a chain). */
const NON_RUN_KEYS = new Set([
  "name",
  "steps",
  "from",
  "threads",
  "checkpoint_every",
  "eval_sequences",
]);

/** The schedule horizon of an instance: `schedule_steps`, or `steps` when unset. */
export function scheduleSteps(p: PretrainParams): number {
  return p.schedule_steps ?? Math.max(p.steps, 1);
}

/** Warm-up steps: `round(warmup_ratio · schedule_steps)`. */
export function warmupSteps(p: PretrainParams): number {
  return Math.round(p.warmup_ratio * scheduleSteps(p));
}

/** Gathered masked positions per sequence: `ceil(seq · mask_prob)`. */
export function maskedPositions(p: PretrainParams): number {
  return Math.max(1, Math.ceil(p.seq * p.mask_prob));
}

/**
 * Problems with one instance's parameters (empty when fine), each as `[path, message]`:
 * architecture consistency, `steps ≤ schedule_steps`, and for `from` that it parses, has fewer
 * steps, and belongs to the same run (every run-defining parameter equal).
 */
export function chainProblems(p: PretrainParams): [string[], string][] {
  const out: [string[], string][] = [];
  if (p.hidden % p.heads !== 0) {
    out.push([["heads"], `must divide hidden (${p.hidden})`]);
  }
  if (p.seq > p.max_position) {
    out.push([["seq"], `must be at most max_position (${p.max_position})`]);
  }
  if (p.steps > scheduleSteps(p)) {
    out.push([
      ["schedule_steps"],
      `must be at least steps (${p.steps}): the lr decays to 0 at schedule_steps`,
    ]);
  }
  if (!p.from) return out;
  const up = pretrainBaseSchema.safeParse(p.from.params);
  if (!up.success) {
    const issue = up.error.issues[0];
    out.push([["from", "params", ...issue.path.map(String)], issue.message]);
    return out;
  }
  const f = up.data;
  if (f.steps >= p.steps) {
    out.push([["from", "params", "steps"], `must be below this checkpoint's steps (${p.steps})`]);
  }
  if (scheduleSteps(f) !== scheduleSteps(p)) {
    out.push([
      ["from", "params", "schedule_steps"],
      `is ${scheduleSteps(f)} but this checkpoint's is ${scheduleSteps(p)}: every checkpoint of ` +
      `a chain must set schedule_steps to the chain's last step count`,
    ]);
  }
  for (const key of Object.keys(pretrainBaseSchema.shape)) {
    if (NON_RUN_KEYS.has(key) || key === "schedule_steps") continue;
    const a = JSON.stringify((p as Record<string, unknown>)[key]);
    const b = JSON.stringify((f as Record<string, unknown>)[key]);
    if (a !== b) {
      out.push([
        ["from", "params", key],
        `is ${b} but this checkpoint's is ${a}: a checkpoint continues the same run`,
      ]);
    }
  }
  return out;
}

/** The `pretrain` parameter schema: {@link pretrainBaseSchema} plus {@link chainProblems}. */
export const pretrainParamsSchema = pretrainBaseSchema.superRefine((p, ctx) => {
  for (const [path, message] of chainProblems(p)) ctx.addIssue({ code: "custom", path, message });
});

/** The encoder configuration of a run for a tokenizer of `vocabSize` tokens (BERT family). */
export function pretrainConfig(p: PretrainParams, vocabSize: number, padId = 0): EncoderConfig {
  return parseConfig(
    {
      model_type: "bert",
      vocab_size: vocabSize,
      hidden_size: p.hidden,
      num_hidden_layers: p.layers,
      num_attention_heads: p.heads,
      intermediate_size: p.intermediate,
      max_position_embeddings: p.max_position,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      pad_token_id: padId,
      hidden_act: "gelu",
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      initializer_range: 0.02,
    },
    `pretrain ${p.name} architecture`,
  );
}
