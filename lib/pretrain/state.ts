/**
 * The pretraining state that a later checkpoint of the same run continues from, and the
 * crash-resume checkpoint in the scratch directory. Both use the checkpoint file format of
 * `lib/train/checkpoint.ts` (atomic write: temp file, fsync, rename).
 *
 * - `optimizer_state.bin` (in the model artifact): the Adam moments `param/<name>.m` / `.v` of
 *   every trained tensor and `__loss`, the per-step training loss from step 1; its header meta
 *   (also written readable as `optimizer_state.json`) holds the step, the data order and the
 *   run's identity. The weights themselves are the artifact's `weights.bin`.
 * - `checkpoint.bin` (scratch): the same plus the parameters, every `checkpoint_every` steps.
 *
 * @module
 */
import { join } from "node:path";
import { canonicalJson, sha256Hex } from "../pipeline/canonical.ts";
import type { Json } from "../pipeline/stage.ts";
import { readCheckpoint, type TensorState, writeCheckpoint } from "../train/checkpoint.ts";
import type { DataOrderState } from "../train/data_order.ts";
import { type PretrainParams, scheduleSteps } from "./params.ts";

/** File names in a pretrained model artifact. */
export const OPTIMIZER_STATE_BIN = "optimizer_state.bin";
export const OPTIMIZER_STATE_JSON = "optimizer_state.json";
/** The crash-resume checkpoint in the scratch directory. */
export const CHECKPOINT_FILE = "checkpoint.bin";

/** What the state's header says. */
export interface PretrainStateMeta {
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

/** The trained state in memory: parameters and moments by graph input name, loss per step. */
export interface PretrainState {
  meta: PretrainStateMeta;
  /** `param/<name>`, `param/<name>.m`, `param/<name>.v` (parameters absent in optimizer_state). */
  tensors: Record<string, Float32Array>;
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
  return sha256Hex(canonicalJson({ ...rest, schedule_steps: scheduleSteps(p) } as Json));
}

function toTensorState(st: PretrainState, names: (n: string) => boolean): TensorState {
  const out: TensorState = {};
  for (const [k, v] of Object.entries(st.tensors)) {
    if (names(k)) out[k] = { dtype: "float32", dims: [v.length], data: v };
  }
  out.__loss = { dtype: "float32", dims: [st.loss.length], data: st.loss };
  return out;
}

function fromFile(file: string, what: string): PretrainState | null {
  const ck = readCheckpoint<PretrainStateMeta>(file);
  if (!ck) return null;
  if (ck.meta?.format !== "idim-pretrain-state/1") {
    throw new Error(
      `${file}: not a pretraining ${what} (format ${JSON.stringify(ck.meta?.format)})`,
    );
  }
  const tensors: Record<string, Float32Array> = {};
  let loss: Float32Array = new Float32Array(0);
  for (const [k, t] of Object.entries(ck.tensors)) {
    if (!(t.data instanceof Float32Array)) throw new Error(`${file}: tensor ${k} is not float32`);
    if (k === "__loss") loss = t.data;
    else tensors[k] = t.data;
  }
  if (loss.length !== ck.meta.step) {
    throw new Error(`${file}: ${loss.length} loss values for step ${ck.meta.step}`);
  }
  return { meta: ck.meta, tensors, loss };
}

/** Writes `optimizer_state.bin` (moments and loss) and `optimizer_state.json` into `dir`. */
export function writeOptimizerState(dir: string, st: PretrainState): void {
  writeCheckpoint(
    join(dir, OPTIMIZER_STATE_BIN),
    toTensorState(st, (k) => k.endsWith(".m") || k.endsWith(".v")),
    st.meta,
  );
  Deno.writeTextFileSync(join(dir, OPTIMIZER_STATE_JSON), JSON.stringify(st.meta, null, 1) + "\n");
}

/** Reads a model artifact's optimizer state, or an error naming the file. */
export function readOptimizerState(dir: string): PretrainState {
  const file = join(dir, OPTIMIZER_STATE_BIN);
  const st = fromFile(file, "optimizer state");
  if (!st) {
    throw new Error(
      `${file}: missing: "from" must be a pretrain instance (its model dir has the optimizer state)`,
    );
  }
  return st;
}

/** Writes the crash-resume checkpoint (parameters, moments, loss, meta) atomically. */
export function writeResumeCheckpoint(scratchDir: string, st: PretrainState): void {
  writeCheckpoint(join(scratchDir, CHECKPOINT_FILE), toTensorState(st, () => true), st.meta);
}

/** Reads the crash-resume checkpoint, or null when there is none. */
export function readResumeCheckpoint(scratchDir: string): PretrainState | null {
  return fromFile(join(scratchDir, CHECKPOINT_FILE), "checkpoint");
}
