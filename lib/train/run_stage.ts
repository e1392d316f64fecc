/**
 * What every train stage's `run` does: open the run through a backend, run (or resume) the
 * training loop with its checkpoint in the scratch directory, and write `result.json` (a
 * `RunResult`). A diverged run is a result, not an error: the stage succeeds and the record says
 * `diverged` with the step and reason.
 *
 * @module
 */
import * as path from "node:path";
import { canonicalJson, sha256Hex } from "../hash/mod.ts";
import { type RunResult, writeRunResult } from "../results/mod.ts";
import type { Backend, OpenedRun } from "./backend.ts";
import { resolveSchedule, sizeOf, type TrainParams } from "./run_config.ts";
import { trainLoop, type TrainStepper } from "./train_loop.ts";
import { commitKeptWeights, keepingBest } from "./keep_weights.ts";

/** The checkpoint file inside the scratch directory. */
export const CHECKPOINT_FILE = "checkpoint.bin";

/** Wraps a stepper so that every loss from `step` on reads as NaN (the `injectNanAtStep` hook). */
export function nanAfter(stepper: TrainStepper, from: number): TrainStepper {
  return {
    step: async (indices, step) => {
      const l = await stepper.step(indices, step);
      return step >= from ? NaN : l;
    },
    getState: () => stepper.getState(),
    setState: (s) => stepper.setState(s),
    ...(stepper.sync ? { sync: () => stepper.sync!() } : {}),
  };
}

/** What a training run is given by the stage that runs it (the stage context fits it as is). */
export interface TrainRunContext {
  params: TrainParams;
  /** The run's content key, recorded in its result. */
  key: string;
  /** `graphs` (exported training graphs) and `data` (tokenized task) folders. */
  inputs: Record<string, string>;
  outDir: string;
  /** Where the checkpoint lives between attempts. */
  scratchDir: string;
  device: string;
  log(message: string): void;
  progress(done: number, total: number, note?: string): void;
  signal: AbortSignal;
}

/** Runs one training instance with `backend` and writes its `RunResult`. */
export async function runTrainStage(ctx: TrainRunContext, backend: Backend): Promise<void> {
  const p = ctx.params;
  const graphsDir = ctx.inputs.graphs;
  const dataDir = ctx.inputs.data;
  if (!graphsDir || !dataDir) {
    throw new Error(`train stage needs inputs "graphs" and "data", got ${Object.keys(ctx.inputs)}`);
  }
  const run: OpenedRun = await backend({
    params: p,
    graphsDir,
    dataDir,
    schedule: (n, b) => resolveSchedule(p, n, b),
    device: ctx.device,
    log: ctx.log,
  });
  try {
    if (p.batchSize !== undefined && run.batchSize !== null && p.batchSize !== run.batchSize) {
      throw new Error(
        `batchSize ${p.batchSize} differs from the exported graphs' batch ${run.batchSize} ` +
          `(${graphsDir}/graph.json): export the graphs with batch ${p.batchSize} or drop batchSize`,
      );
    }
    const batchSize = p.batchSize ?? run.batchSize;
    if (batchSize === null) {
      throw new Error(`batchSize is required: the graphs in ${graphsDir} accept any batch size`);
    }
    const { steps, warmupSteps } = resolveSchedule(p, run.trainSize, batchSize);
    const metric = p.metric ?? run.metric;
    const evalEvery = Math.min(p.evalEvery, steps);
    const stepper = p.injectNanAtStep !== undefined
      ? nanAfter(run.stepper, p.injectNanAtStep)
      : run.stepper;
    ctx.log(
      `${p.method} size=${sizeOf(p)} lr=${p.lr} seed=${p.seed}: ${steps} steps (warm-up ` +
        `${warmupSteps}), batch ${batchSize}, ${run.trainableParams} trainable parameters, ` +
        `provider ${run.provider}`,
    );
    const evaluate = p.keepWeights
      ? keepingBest(run.evaluate, ctx.scratchDir, metric, run.trainable)
      : run.evaluate;
    const outcome = await trainLoop(stepper, evaluate, {
      trainSize: run.trainSize,
      batchSize,
      steps,
      evalEvery,
      checkpointEvery: p.checkpointEvery ?? evalEvery,
      lossEvery: p.lossEvery ?? Math.max(1, Math.floor(steps / 200)),
      seed: p.seed,
      metric,
      checkpointFile: path.join(ctx.scratchDir, CHECKPOINT_FILE),
      runId: sha256Hex(canonicalJson(p)),
      progress: (done, total) => ctx.progress(done, total, "steps"),
      log: ctx.log,
      signal: ctx.signal,
    });
    const { model, task, graphs: _g, data: _d, ...hyper } = p;
    const result: RunResult = {
      model,
      task,
      method: p.method,
      size: sizeOf(p),
      lr: p.lr,
      seed: p.seed,
      ...(p.pretrainSteps !== undefined ? { pretrainSteps: p.pretrainSteps } : {}),
      trainableParams: run.trainableParams,
      ...(run.modelParams !== undefined ? { modelParams: run.modelParams } : {}),
      status: outcome.status,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      metric,
      best: outcome.best,
      evals: outcome.evals,
      loss: outcome.loss,
      steps: outcome.steps,
      wallSeconds: outcome.wallSeconds,
      samplesPerSecond: outcome.samplesPerSecond,
      provider: run.provider,
      resumedFrom: outcome.resumedFrom,
      key: ctx.key,
      config: { ...hyper, batchSize, steps, warmupSteps, evalEvery, ...(run.facts ?? {}) },
    };
    if (p.keepWeights) {
      commitKeptWeights(ctx.scratchDir, ctx.outDir, outcome.best?.step ?? null, metric);
    }
    writeRunResult(ctx.outDir, result);
    ctx.log(
      outcome.status === "ok"
        ? `done: best select ${metric}=${
          outcome.best?.select[metric]
        } at step ${outcome.best?.step}`
        : `diverged: ${outcome.reason}`,
    );
  } finally {
    await run.close();
  }
}
