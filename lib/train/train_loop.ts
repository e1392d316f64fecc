/**
 * The training loop, independent of how a step is computed: deterministic data order from the
 * seed, one `TrainStepper.step` per batch, evaluation every N steps, NaN/inf detection (the run
 * ends as `diverged` with the step and reason), atomic checkpoints every K steps to a scratch
 * file (trainable + optimizer state, step, data order, curves so far) and resume from the last
 * one. A run may also start part-way (`start`: the step and data order a previous artifact
 * ended at, e.g. a pretraining checkpoint continued by the next one of its chain).
 *
 * @module
 */
import type { EvalPoint, Metrics, RunResult } from "../results/mod.ts";
import { loadCheckpointOrSetAside, type TensorState, writeCheckpoint } from "./checkpoint.ts";
import { DataOrder, type DataOrderState } from "./data_order.ts";
import { bestEval } from "./select.ts";

/** Computes training steps. Implementations hold the trainable and optimizer state. */
export interface TrainStepper {
  /** Runs optimizer step `step` (0-based; drives the lr schedule) on the examples `indices`. */
  step(indices: Int32Array, step: number): Promise<number>;
  /** The trainable and optimizer state (copies, safe to keep). */
  getState(): TensorState;
  /** Restores a state returned by `getState`. */
  setState(state: TensorState): void;
  /**
   * Makes the state readable by `getState` (and by the evaluator), when the stepper keeps it
   * somewhere else between steps (e.g. on the GPU). The loop awaits it before every evaluation
   * and checkpoint; a stepper whose state is always in host memory leaves it out.
   */
  sync?(): Promise<void>;
}

/** Evaluates the current trainable state on the select and report splits. */
export type Evaluate = (state: TensorState) => Promise<{ select: Metrics; report: Metrics }>;

/** Loop settings. */
export interface LoopOptions {
  /** Number of training examples (the data order's size). */
  trainSize: number;
  batchSize: number;
  /** Total optimizer steps. */
  steps: number;
  /** Evaluate every this many steps (and always after the last step). */
  evalEvery: number;
  /** Checkpoint every this many steps (0: never). */
  checkpointEvery: number;
  /** Record the mean training loss over windows of this many steps. */
  lossEvery: number;
  seed: number;
  /** Primary metric (selects the best evaluation). */
  metric: string;
  /** Checkpoint file (in the instance's scratch dir); omit to disable checkpoints. */
  checkpointFile?: string;
  /**
   * Identity of the run; a checkpoint written for a different identity is ignored, so a stale
   * file can never leak into another run.
   */
  runId: string;
  /**
   * Where a run that continues an earlier one starts (without a checkpoint): the step reached
   * and the data order after it (null: a fresh order). The caller has already put the stepper
   * in that state. `steps` may then equal `start.step` (nothing to train; evaluates once).
   */
  start?: { step: number; order: DataOrderState | null };
  progress?: (done: number, total: number, note?: string) => void;
  log?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * What the loop produces: the training fields of a `RunResult` (the stage adds the run's
 * identity). `steps` counts completed steps (the diverging step is not counted), `wallSeconds`
 * sums training and evaluation time over resumed segments, `resumedFrom` is empty when the run
 * never resumed.
 */
export type LoopOutcome =
  & Pick<RunResult, "reason" | "best" | "evals" | "loss" | "steps" | "wallSeconds">
  & Pick<RunResult, "samplesPerSecond">
  & { status: "ok" | "diverged"; resumedFrom: number[]; order: DataOrderState };

interface CkptMeta {
  v: 1;
  runId: string;
  step: number;
  order: DataOrderState;
  evals: EvalPoint[];
  loss: [number, number][];
  lossSum: number;
  lossCount: number;
  wallSeconds: number;
  stepSeconds: number;
  resumedFrom: number[];
}

function validate(o: LoopOptions): void {
  const pos = (k: keyof LoopOptions) => {
    const v = o[k] as number;
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`training option ${k} must be a positive integer, got ${v}`);
    }
  };
  pos("trainSize");
  pos("batchSize");
  const first = o.start?.step ?? 0;
  if (!Number.isInteger(first) || first < 0) {
    throw new RangeError(`training option start.step must be an integer ≥ 0, got ${first}`);
  }
  if (o.start) {
    if (!Number.isInteger(o.steps) || o.steps < first) {
      throw new RangeError(`training option steps must be an integer ≥ start.step ${first}`);
    }
  } else pos("steps");
  pos("evalEvery");
  pos("lossEvery");
  if (!Number.isInteger(o.checkpointEvery) || o.checkpointEvery < 0) {
    throw new RangeError(`checkpointEvery must be an integer ≥ 0, got ${o.checkpointEvery}`);
  }
}

/** Runs (or resumes) a training run to completion or divergence. */
export async function trainLoop(
  stepper: TrainStepper,
  evaluate: Evaluate,
  opts: LoopOptions,
): Promise<LoopOutcome> {
  validate(opts);
  const log = opts.log ?? (() => {});
  const startStep = opts.start?.step ?? 0;
  let step = startStep;
  let order = new DataOrder(opts.trainSize, opts.seed, opts.start?.order ?? undefined);
  let evals: EvalPoint[] = [];
  let loss: [number, number][] = [];
  let lossSum = 0;
  let lossCount = 0;
  let priorWall = 0;
  let stepSeconds = 0;
  const resumedFrom: number[] = [];

  if (opts.checkpointFile) {
    const ck = loadCheckpointOrSetAside<CkptMeta>(opts.checkpointFile, log);
    if (ck && (ck.meta?.v !== 1 || ck.meta.runId !== opts.runId)) {
      log(`ignoring checkpoint ${opts.checkpointFile}: written for another run`);
    } else if (ck) {
      stepper.setState(ck.tensors);
      step = ck.meta.step;
      order = new DataOrder(opts.trainSize, opts.seed, ck.meta.order);
      evals = ck.meta.evals;
      loss = ck.meta.loss;
      lossSum = ck.meta.lossSum;
      lossCount = ck.meta.lossCount;
      priorWall = ck.meta.wallSeconds;
      stepSeconds = ck.meta.stepSeconds;
      resumedFrom.push(...ck.meta.resumedFrom, step);
      log(`resumed from checkpoint at step ${step}`);
    }
  }

  const t0 = performance.now();
  const wall = () => priorWall + (performance.now() - t0) / 1000;
  const save = async () => {
    if (!opts.checkpointFile) return;
    await stepper.sync?.();
    const meta: CkptMeta = {
      v: 1,
      runId: opts.runId,
      step,
      order: order.state(),
      evals,
      loss,
      lossSum,
      lossCount,
      wallSeconds: wall(),
      stepSeconds,
      resumedFrom,
    };
    writeCheckpoint(opts.checkpointFile, stepper.getState(), meta);
  };
  const outcome = (status: "ok" | "diverged", reason?: string): LoopOutcome => ({
    status,
    ...(reason ? { reason } : {}),
    best: bestEval(evals, opts.metric),
    evals,
    loss,
    steps: step,
    wallSeconds: wall(),
    samplesPerSecond: stepSeconds > 0 ? ((step - startStep) * opts.batchSize) / stepSeconds : 0,
    resumedFrom,
    order: order.state(),
  });
  const runEval = async () => {
    if (evals.length > 0 && evals[evals.length - 1].step === step) return;
    await stepper.sync?.();
    const m = await evaluate(stepper.getState());
    evals.push({ step, select: m.select, report: m.report });
    const sel = m.select[opts.metric];
    log(
      `step ${step}: select ${opts.metric}=${sel} report ${opts.metric}=${m.report[opts.metric]}`,
    );
  };

  opts.progress?.(step, opts.steps);
  while (step < opts.steps) {
    if (opts.signal?.aborted) {
      await save();
      throw opts.signal.reason ?? new Error("training aborted");
    }
    const indices = order.next(opts.batchSize);
    const ts = performance.now();
    const l = await stepper.step(indices, step);
    stepSeconds += (performance.now() - ts) / 1000;
    if (!Number.isFinite(l)) {
      const reason = `training loss is ${l} at step ${step}`;
      log(`diverged: ${reason}`);
      return outcome("diverged", reason);
    }
    step++;
    lossSum += l;
    lossCount++;
    if (lossCount === opts.lossEvery || step === opts.steps) {
      loss.push([step, lossSum / lossCount]);
      lossSum = 0;
      lossCount = 0;
    }
    if (step % opts.evalEvery === 0 || step === opts.steps) await runEval();
    if (opts.checkpointEvery > 0 && step % opts.checkpointEvery === 0 && step < opts.steps) {
      await save();
    }
    opts.progress?.(step, opts.steps);
  }
  await runEval();
  return outcome("ok");
}
