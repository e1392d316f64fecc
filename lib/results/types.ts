/**
 * The result records that training stages write and that the threshold, plot and report
 * stages read. One schema, shared by every producer and consumer.
 *
 * @module
 */

/** How a model is fine-tuned. `full` is the baseline every 90% target is measured against. */
export type Method = "full" | "did" | "said" | "lora";

/** Metric values on one evaluation split, e.g. `{ accuracy: 0.91, f1: 0.88 }`. */
export type Metrics = Record<string, number>;

/** One evaluation during training. */
export interface EvalPoint {
  step: number;
  /** Metrics on the selection split (held-out slice of train by default). */
  select: Metrics;
  /** Metrics on the reported split (the task's validation split by default). */
  report: Metrics;
}

/** One training run: one (model, task, method, size, lr, seed). Written as `result.json`. */
export interface RunResult {
  model: string;
  task: string;
  method: Method;
  /** d for did/said, r for lora, null for full fine-tuning. */
  size: number | null;
  lr: number;
  seed: number;
  /** Pretraining steps of the model checkpoint, where the model was pretrained by the pipeline. */
  pretrainSteps?: number;
  trainableParams: number;
  /** Total parameters of the model, where the graphs artifact says. */
  modelParams?: number;
  /** `ok`, or `diverged` (NaN/inf loss), or `failed` with a reason. */
  status: "ok" | "diverged" | "failed";
  reason?: string;
  /** The primary metric's name (e.g. `accuracy`), the one the 90% target applies to. */
  metric: string;
  /** The evaluation with the best selection-split primary metric (null when none ran). */
  best: EvalPoint | null;
  /** Every evaluation, in step order. */
  evals: EvalPoint[];
  /** Training loss, sampled: `[step, loss]` pairs. */
  loss: [number, number][];
  steps: number;
  wallSeconds: number;
  samplesPerSecond: number;
  /** Execution provider that ran the graph (`cpu`, `cuda`, `webgpu`). */
  provider: string;
  /** The instance key of the run, for provenance. */
  key?: string;
  /** Steps at which the run resumed from a checkpoint after a crash or kill. */
  resumedFrom?: number[];
  /** Hyperparameters the run used (batch, steps, warm-up, decay, weight decay, ...). */
  config?: Record<string, unknown>;
}

/** One point of a sweep after the learning-rate search: the best lr's run, all lrs kept. */
export interface PointResult {
  model: string;
  task: string;
  method: Method;
  size: number | null;
  seed: number;
  metric: string;
  /** Reported-split primary metric of the best run (lr chosen on the selection split). */
  value: number | null;
  bestLr: number | null;
  /** Selection-split primary metric of the best run's chosen step. */
  selectValue?: number | null;
  /** The selection policy in words (which split chose the lr and the step). */
  policy?: string;
  runs: RunResult[];
}

/** d90 or r90 for one (model, task, method). */
export interface ThresholdResult {
  model: string;
  task: string;
  method: Exclude<Method, "full">;
  metric: string;
  /** Full fine-tuning value the target is a fraction of. */
  baseline: number;
  /** `measured` by the pipeline's own full fine-tuning run, or a `reference` value from the config. */
  baselineSource: "measured" | "reference";
  /** Fraction of the baseline to reach (0.9 for d90/r90). */
  fraction: number;
  target: number;
  /** Smallest grid value reaching the target (mean over seeds where several), null if none did. */
  value: number | null;
  /** Log-scale interpolated crossing point, null if the curve never crosses. */
  interpolated: number | null;
  /** Per-seed values, where several seeds ran. */
  perSeed: {
    seed: number;
    value: number | null;
    interpolated: number | null;
    /** `interior`, `first-point` (the grid's smallest value reaches it: an upper bound), `not-reached`. */
    crossing?: "interior" | "first-point" | "not-reached";
  }[];
  /** Standard deviation of per-seed values (null with one seed). */
  spread: number | null;
  /** Standard deviation of per-seed interpolated values (null with one seed). */
  interpolatedSpread?: number | null;
  /** False when some seed's curve drops below the target again after first reaching it. */
  monotone?: boolean;
  /** `grid` (every grid point ran) or `adaptive` (bisection on the log grid). */
  search?: "grid" | "adaptive";
  /** Training runs that actually ran (or came from the cache) for this result. */
  runsUsed?: number;
  /** The points the value was computed from. */
  points: { size: number; seed: number; value: number | null }[];
  /** Runs the adaptive search skipped compared to the full grid (0 for a full grid). */
  runsSaved: number;
  /** Parameter count of the model, for the size-scaling plot. */
  modelParams: number;
  pretrainSteps?: number;
}
