/**
 * Keeping a run's trained weights: with `keepWeights: true` a train run writes the trainable
 * tensors of its best step (the step `bestEval` chooses: highest select-split metric, earliest on
 * a tie) as `weights.bin` in its artifact, in the checkpoint format (lib/train/checkpoint.ts;
 * meta `{ step }`). While training, each evaluation that improves on the best so far writes its
 * state to the scratch directory, so a killed run that resumes still has it.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Metrics } from "../results/mod.ts";
import { readCheckpoint, type TensorState, writeCheckpoint } from "./checkpoint.ts";
import type { Evaluate } from "./train_loop.ts";

/** The file of the kept weights in a train run's artifact. */
export const KEPT_WEIGHTS_FILE = "weights.bin";
/** Its working copy in the scratch directory. */
const SCRATCH_FILE = "best_weights.bin";

/** The header of a kept-weights file. */
export interface KeptWeightsMeta {
  /** The step whose state this is. */
  step: number;
  /** The select-split metric at that step (null in the empty file of a run without one). */
  select: number | null;
  metric: string;
}

function stepOf(state: TensorState): number {
  const s = state.__step?.data[0];
  const step = Number(s);
  if (!Number.isInteger(step)) throw new Error("kept weights: the state carries no __step");
  return step;
}

/** The trainable tensors of `state` (all but optimizer moments and the step, when not named). */
function trainablePart(state: TensorState, names: readonly string[] | undefined): TensorState {
  const keep = names ?? Object.keys(state).filter((n) => n !== "__step");
  const out: TensorState = {};
  for (const n of keep) {
    const t = state[n];
    if (!t) throw new Error(`kept weights: the state has no tensor "${n}"`);
    out[n] = { dtype: t.dtype, dims: [...t.dims], data: t.data.slice() as typeof t.data };
  }
  return out;
}

/**
 * Wraps `evaluate` so that every evaluation improving the select-split `metric` (strictly: the
 * earliest of equal steps stays, as in `bestEval`) writes the trainable tensors to
 * `<scratchDir>/best_weights.bin`.
 */
export function keepingBest(
  evaluate: Evaluate,
  scratchDir: string,
  metric: string,
  trainable: readonly string[] | undefined,
): Evaluate {
  const file = path.join(scratchDir, SCRATCH_FILE);
  let best = readCheckpoint<KeptWeightsMeta>(file)?.meta.select ?? -Infinity;
  // (a scratch file of an earlier attempt of this same run key: resumed runs keep their best)
  return async (state: TensorState) => {
    const m: { select: Metrics; report: Metrics } = await evaluate(state);
    const v = m.select[metric];
    if (v !== undefined && Number.isFinite(v) && v > best) {
      best = v;
      const meta: KeptWeightsMeta = { step: stepOf(state), select: v, metric };
      writeCheckpoint(file, trainablePart(state, trainable), meta);
    }
    return m;
  };
}

/**
 * Moves the best state into the artifact as `weights.bin`; checks it is the state of `bestStep`
 * (the run's chosen step). Throws when it is missing or of another step.
 */
export function commitKeptWeights(
  scratchDir: string,
  outDir: string,
  bestStep: number | null,
  metric: string,
): void {
  if (bestStep === null) {
    // No evaluation to choose from (diverged before the first): an empty file says so.
    const meta: KeptWeightsMeta = { step: -1, select: null, metric };
    writeCheckpoint(path.join(outDir, KEPT_WEIGHTS_FILE), {}, meta);
    return;
  }
  const file = path.join(scratchDir, SCRATCH_FILE);
  const ck = readCheckpoint<KeptWeightsMeta>(file);
  if (!ck) throw new Error(`keepWeights: no best state was kept in ${scratchDir}`);
  if (ck.meta.step !== bestStep) {
    throw new Error(
      `keepWeights: the kept state ${file} is of step ${ck.meta.step}, the run's best step is ` +
        `${bestStep}`,
    );
  }
  fs.copyFileSync(file, path.join(outDir, KEPT_WEIGHTS_FILE));
}

/** Reads a run's kept weights (`<dir>/weights.bin`). */
export function readKeptWeights(dir: string): { tensors: TensorState; meta: KeptWeightsMeta } {
  const file = path.join(dir, KEPT_WEIGHTS_FILE);
  const ck = readCheckpoint<KeptWeightsMeta>(file);
  if (!ck) {
    throw new Error(`${file}: missing (the run was not asked to keep its weights: keepWeights)`);
  }
  if (ck.meta.step < 0) throw new Error(`${file}: the run had no evaluation, so no weights`);
  return ck;
}
