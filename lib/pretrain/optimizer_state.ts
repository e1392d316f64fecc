/**
 * The optimizer state a pretrained model artifact carries for the next checkpoint of its chain:
 * `optimizer_state.bin` holds the Adam moments `param/<name>.m` / `.v` of every trained tensor
 * and `__loss`, the training loss of every step from step 1, in the file format of
 * `lib/train/checkpoint.ts`; its header meta (also written readable as `optimizer_state.json`)
 * holds the step, the data order and the run's identity. The weights themselves are the
 * artifact's `weights.bin`. (The crash-resume checkpoint is the training loop's own, in the
 * scratch directory.)
 *
 * @module
 */
import { canonicalJson, sha256Hex } from "../hash/mod.ts";
import { join } from "node:path";
import {
  type DataOrderState,
  readCheckpoint,
  type TensorState,
  writeCheckpoint,
} from "../train/mod.ts";
import { type PretrainParams, scheduleSteps } from "./params.ts";

/** File names in a pretrained model artifact. */
export const OPTIMIZER_STATE_BIN = "optimizer_state.bin";
export const OPTIMIZER_STATE_JSON = "optimizer_state.json";

/** What the state's header says. */
export interface OptimizerStateMeta {
  format: "idim-pretrain-state/1";
  /** Optimizer steps taken (the Adam bias correction continues from here). */
  step: number;
  /** Hash of the run-defining parameters (everything but steps and bookkeeping). */
  run: string;
  scheduleSteps: number;
  warmupSteps: number;
  /** The data order after `step` steps; null before the first step. */
  dataOrder: DataOrderState | null;
}

/** An artifact's optimizer state in memory. */
export interface OptimizerState {
  meta: OptimizerStateMeta;
  /** `param/<name>.m` and `param/<name>.v`. */
  moments: Record<string, Float32Array>;
  /** Training loss of steps 1..step. */
  loss: Float32Array;
}

/** The run identity: a hash of every parameter that changes the trained numbers. */
export function runId(p: PretrainParams): string {
  const {
    name: _n,
    steps: _s,
    from: _f,
    threads: _t,
    checkpoint_every: _c,
    eval_sequences: _e,
    ...rest
  } = p;
  return sha256Hex(canonicalJson({ ...rest, schedule_steps: scheduleSteps(p) }));
}

/** Writes `optimizer_state.bin` (moments and loss) and `optimizer_state.json` into `dir`. */
export function writeOptimizerState(dir: string, st: OptimizerState): void {
  const tensors: TensorState = {};
  for (const [k, v] of Object.entries(st.moments)) {
    tensors[k] = { dtype: "float32", dims: [v.length], data: v };
  }
  tensors.__loss = { dtype: "float32", dims: [st.loss.length], data: st.loss };
  writeCheckpoint(join(dir, OPTIMIZER_STATE_BIN), tensors, st.meta);
  Deno.writeTextFileSync(join(dir, OPTIMIZER_STATE_JSON), JSON.stringify(st.meta, null, 1) + "\n");
}

/** Reads a model artifact's optimizer state, or an error naming the file. */
export function readOptimizerState(dir: string): OptimizerState {
  const file = join(dir, OPTIMIZER_STATE_BIN);
  const ck = readCheckpoint<OptimizerStateMeta>(file);
  if (!ck) {
    throw new Error(
      `${file}: missing: "from" must be a pretrain instance (its model dir has the optimizer state)`,
    );
  }
  if (ck.meta?.format !== "idim-pretrain-state/1") {
    throw new Error(
      `${file}: not a pretraining optimizer state (format ${JSON.stringify(ck.meta?.format)})`,
    );
  }
  const moments: Record<string, Float32Array> = {};
  let loss: Float32Array = new Float32Array(0);
  for (const [k, t] of Object.entries(ck.tensors)) {
    if (!(t.data instanceof Float32Array)) throw new Error(`${file}: tensor ${k} is not float32`);
    if (k === "__loss") loss = t.data;
    else moments[k] = t.data;
  }
  if (loss.length !== ck.meta.step) {
    throw new Error(`${file}: ${loss.length} loss values for step ${ck.meta.step}`);
  }
  return { meta: ck.meta, moments, loss };
}
