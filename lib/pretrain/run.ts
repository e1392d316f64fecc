/**
 * One pretraining checkpoint: start from the random initialisation (or the `from` checkpoint's
 * weights, Adam moments and data order), resume from the scratch checkpoint after a crash, run
 * the remaining MLM steps on ONNX Runtime, score held-out sequences, and write the model
 * artifact (the `download-model` format plus the optimizer state).
 *
 * Determinism: the packing order, the epoch order of sequences and every step's masking come
 * from seeded PRNGs, and the state carried across a chain or a crash (float32 parameters and
 * moments, the step, the data-order state) is saved exactly, so a chained or resumed run replays
 * the same float operations as a straight one: the weights are bit-identical on the same
 * machine with the same thread count.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { toHfConfig } from "../models/config.ts";
import type { EncoderConfig } from "../models/config.ts";
import { initWeights, modelParams } from "../models/init.ts";
import { fullName } from "../models/parameterize/full.ts";
import { numel } from "../models/params.ts";
import { readWeightsIndex, readWeightsTensor, WeightsWriter } from "../models/weights_file.ts";
import { EvalSession, TrainSession } from "../onnx/session.ts";
import { HfTokenizer } from "../text/tokenizer.ts";
import { DataOrder } from "../train/data_order.ts";
import { sessionOptions } from "../train/onnx_backend.ts";
import {
  corpusSplits,
  type PackedCorpus,
  packSentences,
  type SpecialIds,
  specialIds,
  tokenCounts,
  tokenizeSentences,
} from "./corpus.ts";
import { buildPretrainGraphs, type BuiltGraphs, pretrainSpecs } from "./graph.ts";
import { allocBatch, IGNORE_INDEX, maskBatch, type MaskOptions, stepPrng } from "./masking.ts";
import {
  maskedPositions,
  pretrainConfig,
  type PretrainParams,
  scheduleSteps,
  warmupSteps,
} from "./params.ts";
import {
  type PretrainState,
  readOptimizerState,
  readResumeCheckpoint,
  runId,
  writeOptimizerState,
  writeResumeCheckpoint,
} from "./state.ts";

/** Files of the model artifact a pretrain instance writes. */
export const PRETRAIN_OUTPUTS = [
  "config.json",
  "weights.bin",
  "weights.json",
  "tokenizer.json",
  "model.json",
  "optimizer_state.bin",
  "optimizer_state.json",
];

/** Where the inputs are. */
export interface PretrainDirs {
  /** The `embedded-tokenizer` output (tokenizer.json). */
  tokenizer: string;
  /** The `from` checkpoint's model artifact, when continuing. */
  from?: string;
  outDir: string;
  scratchDir: string;
}

/** Logging, progress and cancellation. */
export interface PretrainHooks {
  log(message: string): void;
  progress(done: number, total: number, note?: string): void;
  signal: AbortSignal;
  /** ORT device (`cpu`, or `cuda`/`webgpu` with cpu fallback). */
  device?: string;
}

/** Held-out masked-LM scores. */
export interface MlmScores {
  loss: number;
  accuracy: number;
  /** Masked tokens scored. */
  masked: number;
  /** Accuracy of always predicting the most frequent held-out token (the unigram baseline). */
  unigramAccuracy: number;
}

/** `model.json` of a pretrained artifact. */
export interface PretrainManifest {
  name: string;
  source: "pretrain";
  steps: number;
  scheduleSteps: number;
  warmupSteps: number;
  /** Parameters counted in weights.json (encoder with pooler and MLM head). */
  parameters: number;
  config: Record<string, unknown>;
  params: Record<string, unknown>;
  /** Mean training loss over the last min(50, steps) steps (null at step 0). */
  finalTrainLoss: number | null;
  heldOut: MlmScores;
  /** `[step, mean loss of the window ending there]`, at most ~100 points. */
  lossCurve: [number, number][];
  corpus: { sentences: number; sequences: number; tokens: number; fill: number } | null;
  /** Steps run by this instance, where it resumed, seconds and throughput. */
  ranSteps: number;
  startStep: number;
  resumedFrom: number | null;
  wallSeconds: number;
  secondsPerStep: number | null;
  tokensPerSecond: number | null;
  threads: number;
  /** The pooler is not trained by MLM: it keeps its seeded random initialisation. */
  notes: string[];
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("pretraining interrupted");
}

/** The optimizer of a run (AdamW, RoBERTa's betas and epsilon, in-graph schedule). */
function optimizerOf(p: PretrainParams) {
  return {
    type: "adamw" as const,
    lr: p.lr,
    beta1: 0.9,
    beta2: 0.98,
    eps: 1e-6,
    weightDecay: p.weight_decay,
    ...(p.clip_norm > 0 ? { clipNorm: p.clip_norm } : {}),
    schedule: { warmupSteps: warmupSteps(p), totalSteps: scheduleSteps(p) },
  };
}

/** Checks that the `from` artifact's config.json is this run's architecture. */
function checkFromConfig(fromDir: string, config: EncoderConfig): void {
  const file = join(fromDir, "config.json");
  if (!existsSync(file)) {
    throw new Error(`${file}: missing: "from" must be a pretrain instance's model artifact`);
  }
  const got = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const want = toHfConfig(config);
  for (const k of Object.keys(want)) {
    if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) {
      throw new Error(
        `${file}: key "${k}" is ${JSON.stringify(got[k])}, this run needs ` +
          `${JSON.stringify(want[k])} (is "from" a checkpoint of the same run?)`,
      );
    }
  }
}

/** The starting state: the `from` checkpoint, or step 0 with fresh weights and zero moments. */
function initialState(
  p: PretrainParams,
  config: EncoderConfig,
  dirs: PretrainDirs,
): { state: PretrainState; weightsDir: string } {
  const specs = pretrainSpecs(config);
  let weightsDir: string;
  let state: PretrainState;
  if (dirs.from) {
    checkFromConfig(dirs.from, config);
    weightsDir = dirs.from;
    state = readOptimizerState(dirs.from);
    const want = runId(p);
    if (state.meta.run !== want) {
      throw new Error(
        `${join(dirs.from, "optimizer_state.json")}: written by another run (run ${
          state.meta.run.slice(0, 12)
        }, this run ${want.slice(0, 12)})`,
      );
    }
  } else {
    weightsDir = join(dirs.scratchDir, "init");
    mkdirSync(weightsDir, { recursive: true });
    initWeights(config, p.seed, weightsDir, { head: "mlm" });
    state = {
      meta: {
        format: "idim-pretrain-state/1",
        step: 0,
        run: runId(p),
        scheduleSteps: scheduleSteps(p),
        warmupSteps: warmupSteps(p),
        dataOrder: null,
      },
      tensors: {},
      loss: new Float32Array(0),
    };
  }
  const index = readWeightsIndex(weightsDir);
  for (const s of specs) {
    const name = fullName(s.name);
    state.tensors[name] = readWeightsTensor(weightsDir, index, s.name);
    const n = numel(s.shape);
    for (const suffix of [".m", ".v"]) {
      const t = state.tensors[name + suffix];
      if (t === undefined) state.tensors[name + suffix] = new Float32Array(n);
      else if (t.length !== n) {
        throw new Error(
          `${weightsDir}/optimizer_state.bin: ${name}${suffix} has ${t.length} values`,
        );
      }
    }
  }
  return { state, weightsDir };
}

/** Mean loss per window, ~`points` windows, as `[last step of window, mean]`. */
export function lossCurve(loss: Float32Array, points = 100): [number, number][] {
  const w = Math.max(1, Math.ceil(loss.length / points));
  const out: [number, number][] = [];
  for (let start = 0; start < loss.length; start += w) {
    const end = Math.min(loss.length, start + w);
    let s = 0;
    for (let i = start; i < end; i++) s += loss[i];
    out.push([end, s / (end - start)]);
  }
  return out;
}

/** Scores `eval_sequences` held-out sequences with a fixed masking (same for every checkpoint). */
async function scoreHeldOut(
  p: PretrainParams,
  graphs: BuiltGraphs,
  params: Record<string, Float32Array>,
  heldOut: PackedCorpus,
  mo: MaskOptions,
  hooks: PretrainHooks,
): Promise<MlmScores> {
  const opts = sessionOptions(hooks.device ?? "cpu", p.threads);
  const sess = await EvalSession.create(graphs.eval.bytes, graphs.eval.spec, opts);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const s of graphs.specs) {
      feeds[fullName(s.name)] = new ort.Tensor("float32", params[fullName(s.name)], s.shape);
    }
    const n = Math.max(
      p.batch,
      Math.ceil(Math.min(p.eval_sequences, heldOut.rows) / p.batch) * p.batch,
    );
    const counts = tokenCounts(heldOut, mo.vocabSize);
    const sp = mo.special;
    for (const id of [sp.pad, sp.cls, sp.sep, sp.mask, sp.unk]) counts[id] = 0;
    let top = 0;
    for (let i = 1; i < counts.length; i++) if (counts[i] > counts[top]) top = i;
    const b = allocBatch(p.batch, p.seq, mo.positions);
    const rows = new Int32Array(p.batch);
    let lossSum = 0, correct = 0, masked = 0, unigram = 0;
    for (let start = 0, k = 0; start < n; start += p.batch, k++) {
      for (let i = 0; i < p.batch; i++) rows[i] = (start + i) % heldOut.rows;
      const real = maskBatch(heldOut, rows, mo, stepPrng(p.seed, k, 1), b);
      const out = await sess.run(feeds, {
        input_ids: { data: b.input_ids, dims: [p.batch, p.seq] },
        attention_mask: { data: b.attention_mask, dims: [p.batch, p.seq] },
        token_type_ids: { data: b.token_type_ids, dims: [p.batch, p.seq] },
        masked_positions: { data: b.masked_positions, dims: [p.batch, mo.positions] },
        labels: { data: b.labels, dims: [p.batch, mo.positions] },
      });
      lossSum += Number(out.loss.data[0]) * real;
      correct += Number(out.correct.data[0]);
      masked += real;
      for (const l of b.labels) if (l !== BigInt(IGNORE_INDEX) && Number(l) === top) unigram++;
    }
    return {
      loss: lossSum / masked,
      accuracy: correct / masked,
      masked,
      unigramAccuracy: unigram / masked,
    };
  } finally {
    await sess.release();
  }
}

/** Writes weights.bin/json: trained tensors, plus the pooler from `baseDir` (MLM does not train it). */
function writeWeights(
  outDir: string,
  config: EncoderConfig,
  params: Record<string, Float32Array>,
  baseDir: string,
): number {
  const base = readWeightsIndex(baseDir);
  const w = new WeightsWriter(outDir);
  let count = 0;
  try {
    for (const s of modelParams(config, "mlm")) {
      const data = params[fullName(s.name)] ?? readWeightsTensor(baseDir, base, s.name);
      w.add(s.name, s.shape, data);
      count += numel(s.shape);
    }
    w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
  return count;
}

/**
 * Runs one pretraining checkpoint (see the module comment) and writes every file of
 * {@link PRETRAIN_OUTPUTS} into `dirs.outDir`. Returns the manifest written as `model.json`.
 */
export async function runPretrain(
  p: PretrainParams,
  dirs: PretrainDirs,
  hooks: PretrainHooks,
): Promise<PretrainManifest> {
  const t0 = performance.now();
  const tokFile = join(dirs.tokenizer, "tokenizer.json");
  if (!existsSync(tokFile)) throw new Error(`${tokFile}: missing (the tokenizer input)`);
  const tok = await HfTokenizer.fromFile(tokFile);
  const sp: SpecialIds = specialIds(tok);
  const config = pretrainConfig(p, tok.vocabSize, sp.pad);
  const mo: MaskOptions = {
    positions: maskedPositions(p),
    maskProb: p.mask_prob,
    vocabSize: config.vocabSize,
    special: sp,
  };
  mkdirSync(dirs.scratchDir, { recursive: true });
  const start = initialState(p, config, dirs);
  let state = start.state;
  const startStep = state.meta.step;
  if (dirs.from && startStep >= p.steps) {
    throw new Error(`${dirs.from}: checkpoint at step ${startStep}, not below steps ${p.steps}`);
  }
  let resumedFrom: number | null = null;
  const ck = readResumeCheckpoint(dirs.scratchDir);
  if (ck && ck.meta.run === state.meta.run && ck.meta.step > startStep && ck.meta.step <= p.steps) {
    state = ck;
    resumedFrom = ck.meta.step;
    hooks.log(`resuming from the scratch checkpoint at step ${ck.meta.step}`);
  }
  const graphs = buildPretrainGraphs(config, {
    batch: p.batch,
    seq: p.seq,
    positions: mo.positions,
    optimizer: optimizerOf(p),
  });
  const split = await corpusSplits(p.max_sentences);
  const ranFrom = state.meta.step;
  let corpusInfo: PretrainManifest["corpus"] = null;
  let trainSeconds = 0;
  if (state.meta.step < p.steps) {
    hooks.log(`tokenizing ${split.train.length} sentences`);
    const sentences = tokenizeSentences(tok, split.train, (d) => {
      if (hooks.signal.aborted) throw abortError(hooks.signal);
      hooks.progress(0, p.steps - ranFrom, `tokenized ${d}/${split.train.length}`);
    });
    const corpus = packSentences(sentences, p.seq, sp, p.seed);
    corpusInfo = {
      sentences: corpus.sentences,
      sequences: corpus.rows,
      tokens: corpus.tokens,
      fill: corpus.tokens / (corpus.rows * p.seq),
    };
    hooks.log(
      `packed ${corpus.sentences} sentences into ${corpus.rows} sequences of ${p.seq} ` +
        `(${(100 * corpusInfo.fill).toFixed(1)}% tokens, ${corpus.truncated} truncated)`,
    );
    const t1 = performance.now();
    state = await train(p, graphs, corpus, mo, state, dirs.scratchDir, hooks);
    trainSeconds = (performance.now() - t1) / 1000;
  }
  const params: Record<string, Float32Array> = {};
  for (const s of graphs.specs) params[fullName(s.name)] = state.tensors[fullName(s.name)];
  const heldOutCorpus = packSentences(tokenizeSentences(tok, split.heldOut), p.seq, sp, p.seed);
  if (heldOutCorpus.rows === 0) throw new Error(`pretrain ${p.name}: the held-out split is empty`);
  const heldOut = await scoreHeldOut(p, graphs, params, heldOutCorpus, mo, hooks);
  hooks.log(
    `step ${p.steps}: held-out MLM loss ${heldOut.loss.toFixed(4)}, accuracy ` +
      `${(100 * heldOut.accuracy).toFixed(2)}% (unigram ${
        (100 * heldOut.unigramAccuracy).toFixed(2)
      }%)`,
  );
  // Outputs.
  const out = dirs.outDir;
  const hf = toHfConfig(config);
  writeFileSync(join(out, "config.json"), JSON.stringify(hf, null, 2));
  const parameters = writeWeights(out, config, params, start.weightsDir);
  copyFileSync(tokFile, join(out, "tokenizer.json"));
  writeOptimizerState(out, state);
  const ran = p.steps - ranFrom;
  const last = state.loss.subarray(Math.max(0, state.loss.length - 50));
  const manifest: PretrainManifest = {
    name: p.name,
    source: "pretrain",
    steps: p.steps,
    scheduleSteps: scheduleSteps(p),
    warmupSteps: warmupSteps(p),
    parameters,
    config: hf,
    params: { ...p },
    finalTrainLoss: last.length ? last.reduce((a, b) => a + b, 0) / last.length : null,
    heldOut,
    lossCurve: lossCurve(state.loss),
    corpus: corpusInfo,
    ranSteps: ran,
    startStep,
    resumedFrom,
    wallSeconds: (performance.now() - t0) / 1000,
    secondsPerStep: ran > 0 ? trainSeconds / ran : null,
    tokensPerSecond: ran > 0 ? (ran * p.batch * p.seq) / trainSeconds : null,
    threads: p.threads,
    notes: [
      "MLM pretraining does not train the pooler: pooler.dense keeps its seeded initialisation",
      "no seqcls head: fine-tuning initialises it fresh, as HF does for an MLM checkpoint",
    ],
  };
  writeFileSync(join(out, "model.json"), JSON.stringify(manifest, null, 1));
  return manifest;
}

/** The training loop from `state.meta.step` to `p.steps`; returns the final state. */
async function train(
  p: PretrainParams,
  graphs: BuiltGraphs,
  corpus: PackedCorpus,
  mo: MaskOptions,
  state: PretrainState,
  scratchDir: string,
  hooks: PretrainHooks,
): Promise<PretrainState> {
  if (corpus.rows === 0) throw new Error(`pretrain ${p.name}: no training sequences`);
  const opts = sessionOptions(hooks.device ?? "cpu", p.threads);
  const init: Record<string, Float32Array> = {};
  for (const s of graphs.specs) init[fullName(s.name)] = state.tensors[fullName(s.name)];
  const sess = await TrainSession.create(graphs.train.bytes, graphs.train.spec, init, opts);
  try {
    const carried = [...graphs.train.spec.params, ...graphs.train.spec.state];
    const tensors: Record<string, Float32Array> = {};
    for (const c of carried) tensors[c.input] = state.tensors[c.input];
    sess.setState({
      step: state.meta.step,
      hyper: { lr: p.lr, warmup_steps: warmupSteps(p), total_steps: scheduleSteps(p) },
      tensors,
    });
    const order = new DataOrder(
      corpus.rows,
      (p.seed * 7919 + 17) >>> 0,
      state.meta.dataOrder ?? undefined,
    );
    const loss = new Float32Array(p.steps);
    loss.set(state.loss);
    const b = allocBatch(p.batch, p.seq, mo.positions);
    const feeds = {
      input_ids: { data: b.input_ids, dims: [p.batch, p.seq] },
      attention_mask: { data: b.attention_mask, dims: [p.batch, p.seq] },
      token_type_ids: { data: b.token_type_ids, dims: [p.batch, p.seq] },
      masked_positions: { data: b.masked_positions, dims: [p.batch, mo.positions] },
      labels: { data: b.labels, dims: [p.batch, mo.positions] },
    };
    const snapshot = (step: number): PretrainState => {
      const st = sess.getState();
      const t: Record<string, Float32Array> = {};
      for (const c of carried) t[c.input] = st.tensors[c.input] as Float32Array;
      return {
        meta: { ...state.meta, step, dataOrder: order.state() },
        tensors: t,
        loss: loss.slice(0, step),
      };
    };
    const first = state.meta.step + 1;
    for (let step = first; step <= p.steps; step++) {
      if (hooks.signal.aborted) {
        if (step > first) writeResumeCheckpoint(scratchDir, snapshot(step - 1));
        throw abortError(hooks.signal);
      }
      const rows = order.next(p.batch);
      maskBatch(corpus, rows, mo, stepPrng(p.seed, step), b);
      const l = await sess.step(feeds);
      if (!Number.isFinite(l)) {
        throw new Error(
          `pretrain ${p.name}: loss ${l} at step ${step} (lr ${p.lr} too high? try a lower lr ` +
            `or a longer warm-up)`,
        );
      }
      loss[step - 1] = l;
      if (step % p.checkpoint_every === 0 && step < p.steps) {
        writeResumeCheckpoint(scratchDir, snapshot(step));
      }
      if (step % 10 === 0 || step === p.steps) {
        hooks.progress(step - first + 1, p.steps - first + 1, `step ${step} loss ${l.toFixed(3)}`);
      }
    }
    return snapshot(p.steps);
  } finally {
    await sess.release();
  }
}
