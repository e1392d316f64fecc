/**
 * The MLM stepper the training loop (`lib/train/train_loop.ts`) drives: one `TrainSession` over
 * the exported MLM training graph (`exportGraphs(…, {task: "mlm"})`), masking each batch with
 * the PRNG stream of its global step (`stepPrng(seed, step + 1)`) and keeping the training loss of
 * every step. Its state, which the loop checkpoints, is the carried tensors (parameters and
 * Adam moments), `__step` and `__loss` (the per-step losses so far).
 *
 * @module
 */
import { type SessionOptions, TrainSession, type TrainSpec, type TypedArray } from "../onnx/mod.ts";
import {
  sessionStateOf,
  sessionStateTensors,
  type TensorState,
  type TrainStepper,
} from "../train/mod.ts";
import type { PackedCorpus } from "./corpus.ts";
import { allocBatch, maskBatch, type MaskOptions, type MlmBatch, stepPrng } from "./masking.ts";

/** What the MLM stepper needs. */
export interface MlmStepperOptions {
  /** The exported training graph (file) and its spec. */
  model: string;
  spec: TrainSpec;
  /** Every carried tensor (`param/<name>`, `.m`, `.v`) at `step`. */
  tensors: Record<string, Float32Array>;
  /** Optimizer steps already taken. */
  step: number;
  /** Training loss of steps 1..`step`. */
  loss: Float32Array;
  /** The last step of the run (sizes the loss record). */
  steps: number;
  hyper: Record<string, number>;
  corpus: PackedCorpus;
  mask: MaskOptions;
  seed: number;
  batch: number;
  seq: number;
  session: SessionOptions;
}

/** A {@link TrainStepper} that also hands out its losses and releases its session. */
export interface MlmStepper extends TrainStepper {
  /** Training loss of steps 1..(steps taken) (a copy). */
  losses(): Float32Array;
  /** The loss of the last step (NaN before the first). */
  lastLoss(): number;
  close(): Promise<void>;
}

/** Opens the training session at the given state. */
export async function openMlmStepper(o: MlmStepperOptions): Promise<MlmStepper> {
  const carried = [...o.spec.params, ...o.spec.state];
  const init: Record<string, TypedArray> = {};
  for (const p of o.spec.params) init[p.input] = o.tensors[p.input];
  const sess = await TrainSession.create(o.model, o.spec, init, o.session);
  const set = (step: number, tensors: Record<string, TypedArray>) =>
    sess.setState({ step, hyper: o.hyper, tensors });
  set(o.step, o.tensors);
  const loss = new Float32Array(o.steps);
  loss.set(o.loss);
  let done = o.step;
  const b: MlmBatch = allocBatch(o.batch, o.seq, o.mask.positions);
  const feeds = {
    input_ids: { data: b.input_ids, dims: [o.batch, o.seq] },
    attention_mask: { data: b.attention_mask, dims: [o.batch, o.seq] },
    token_type_ids: { data: b.token_type_ids, dims: [o.batch, o.seq] },
    masked_positions: { data: b.masked_positions, dims: [o.batch, o.mask.positions] },
    labels: { data: b.labels, dims: [o.batch, o.mask.positions] },
  };
  return {
    async step(indices, step) {
      if (sess.stepCount !== step) {
        throw new Error(`pretrain session is at step ${sess.stepCount}, the loop at ${step}`);
      }
      maskBatch(o.corpus, indices, o.mask, stepPrng(o.seed, step + 1), b);
      const l = await sess.step(feeds);
      if (Number.isFinite(l)) {
        loss[step] = l;
        done = step + 1;
      }
      return l;
    },
    getState(): TensorState {
      const st = sess.getState();
      return {
        ...sessionStateTensors(carried, st),
        __loss: { dtype: "float32", dims: [st.step], data: loss.slice(0, st.step) },
      };
    },
    setState(s) {
      const { step, tensors } = sessionStateOf(carried, s);
      const l = s.__loss?.data;
      if (!(l instanceof Float32Array) || l.length !== step) {
        throw new Error("checkpoint has no loss per step");
      }
      set(step, tensors);
      loss.fill(0);
      loss.set(l);
      done = step;
    },
    losses: () => loss.slice(0, done),
    lastLoss: () => (done > 0 ? loss[done - 1] : NaN),
    close: () => sess.release(),
  };
}
