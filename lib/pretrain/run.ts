/**
 * One pretraining checkpoint: start from the random initialisation (or the `from` checkpoint's
 * weights, Adam moments and data order), export the MLM graphs (`exportGraphs(…, {task:
 * "mlm"})`), open the sessions on the device `lib/device` selects, drive the MLM stepper with the
 * one training loop (`lib/train/train_loop.ts`: checkpoint and resume in the scratch dir,
 * divergence, progress), score held-out sequences, and write the model artifact (the
 * `download-model` format plus the optimizer state; `model.json` records the provider).
 *
 * Determinism: the packing order, the epoch order of sequences and every step's masking come
 * from seeded PRNGs, and the state carried across a chain or a crash (float32 parameters and
 * moments, the step, the data-order state) is saved exactly, so a chained or resumed run replays
 * the same float operations as a straight one: the weights are bit-identical on the same
 * machine with the same thread count.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { type DeviceRecord, deviceRecord, deviceSessions } from "../device/mod.ts";
import {
  type EncoderConfig,
  exportGraphs,
  fullName,
  initWeights,
  modelParams,
  numel,
  readInitState,
  readWeightsIndex,
  readWeightsTensor,
  toHfConfig,
  WeightsWriter,
} from "../models/mod.ts";
import { EvalSession, type EvalSpec, type TrainSpec } from "../onnx/mod.ts";
import { HfTokenizer } from "../text/mod.ts";
import { type DataOrderState, type TensorState, trainLoop } from "../train/mod.ts";
import {
  corpusSplits,
  packSentences,
  type SpecialIds,
  specialIds,
  tokenizeSentences,
} from "./corpus.ts";
import { type HeldOutOptions, type MlmScores, scoreHeldOut } from "./held_out.ts";
import type { MaskOptions } from "./masking.ts";
import { readOptimizerState, runId, writeOptimizerState } from "./optimizer_state.ts";
import {
  maskedPositions,
  pretrainConfig,
  type PretrainParams,
  scheduleSteps,
  warmupSteps,
} from "./params.ts";
import { openMlmStepper } from "./stepper.ts";

export type { MlmScores } from "./held_out.ts";

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

/** The training loop's checkpoint in the scratch directory. */
export const CHECKPOINT_FILE = "checkpoint.bin";

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
  /** Device name (`cpu`, `cuda`, `webgpu`, `auto`; default `cpu`), resolved by `lib/device`. */
  device?: string;
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
  /** The execution provider that ran the graphs (what `--device` resolved to). */
  provider: string;
  /** The device asked for and, for `auto`, the providers skipped and why. */
  device: Omit<DeviceRecord, "provider">;
  /** The pooler is not trained by MLM: it keeps its seeded random initialisation. */
  notes: string[];
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

/** Where a checkpoint starts: a model dir (weights) and the optimizer state carried with it. */
interface Start {
  modelDir: string;
  step: number;
  /** Adam moments by graph input name (null: zeros). */
  moments: Record<string, Float32Array> | null;
  loss: Float32Array;
  dataOrder: DataOrderState | null;
}

/** The `from` checkpoint, or step 0 with fresh weights (written into the scratch dir). */
function startOf(p: PretrainParams, config: EncoderConfig, dirs: PretrainDirs): Start {
  if (dirs.from) {
    checkFromConfig(dirs.from, config);
    const st = readOptimizerState(dirs.from);
    const want = runId(p);
    if (st.meta.run !== want) {
      throw new Error(
        `${join(dirs.from, "optimizer_state.json")}: written by another run (run ${
          st.meta.run.slice(0, 12)
        }, this run ${want.slice(0, 12)})`,
      );
    }
    if (st.meta.step >= p.steps) {
      throw new Error(
        `${dirs.from}: checkpoint at step ${st.meta.step}, not below steps ${p.steps}`,
      );
    }
    return {
      modelDir: dirs.from,
      step: st.meta.step,
      moments: st.moments,
      loss: st.loss,
      dataOrder: st.meta.dataOrder,
    };
  }
  const modelDir = join(dirs.scratchDir, "init");
  mkdirSync(modelDir, { recursive: true });
  initWeights(config, p.seed, modelDir, { head: "mlm" });
  writeFileSync(join(modelDir, "config.json"), JSON.stringify(toHfConfig(config), null, 2));
  return { modelDir, step: 0, moments: null, loss: new Float32Array(0), dataOrder: null };
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

/** The parameter feeds of the evaluation graph from carried tensors. */
function paramFeeds(spec: TrainSpec, tensors: Record<string, Float32Array>) {
  const feeds: Record<string, ort.Tensor> = {};
  for (const s of spec.params) {
    feeds[s.input] = new ort.Tensor("float32", tensors[s.input], s.shape);
  }
  return feeds;
}

/** Float32 views of a stepper state's tensors. */
function floats(st: TensorState): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(st)) if (t.data instanceof Float32Array) out[k] = t.data;
  return out;
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
  const start = startOf(p, config, dirs);
  // The graphs: the encoder without pooler and the MLM head, every tensor trainable.
  const graphsDir = join(dirs.scratchDir, "graphs");
  rmSync(graphsDir, { recursive: true, force: true });
  mkdirSync(graphsDir, { recursive: true });
  exportGraphs(start.modelDir, graphsDir, {
    method: "full",
    task: "mlm",
    batch: p.batch,
    seq: p.seq,
    maskedPositions: mo.positions,
    numLabels: 2,
    optimizer: optimizerOf(p),
    seed: p.seed,
    modelName: p.name,
  });
  const trainSpec = JSON.parse(
    readFileSync(join(graphsDir, "train.onnx.json"), "utf8"),
  ) as TrainSpec;
  const evalSpec = JSON.parse(readFileSync(join(graphsDir, "eval.onnx.json"), "utf8")) as EvalSpec;
  const dev = await deviceSessions(hooks.device ?? "cpu", p.threads);
  const provider = dev.selection.provider;
  hooks.log(
    `device ${dev.selection.requested} → ${provider}` +
      dev.selection.skipped.map((s) => ` (skipped ${s.provider}: ${s.reason})`).join(""),
  );
  // Carried tensors at the start: θ from the model dir, moments from `from` (or zeros).
  const tensors: Record<string, Float32Array> = readInitState(graphsDir);
  for (const s of trainSpec.state) {
    const m = start.moments?.[s.input];
    const n = numel(s.shape);
    if (m !== undefined && m.length !== n) {
      throw new Error(`${start.modelDir}/optimizer_state.bin: ${s.input} has ${m.length} values`);
    }
    tensors[s.input] = m ?? new Float32Array(n);
  }

  const split = await corpusSplits(p.max_sentences);
  const heldOutCorpus = packSentences(tokenizeSentences(tok, split.heldOut), p.seq, sp, p.seed);
  if (heldOutCorpus.rows === 0) throw new Error(`pretrain ${p.name}: the held-out split is empty`);
  const heldOutOpts: HeldOutOptions = {
    heldOut: heldOutCorpus,
    mask: mo,
    seed: p.seed,
    batch: p.batch,
    seq: p.seq,
    sequences: p.eval_sequences,
  };
  const evalSession = await EvalSession.create(join(graphsDir, "eval.onnx"), evalSpec, dev.options);
  let final = tensors;
  let loss = start.loss;
  let dataOrder = start.dataOrder;
  let heldOut: MlmScores | undefined;
  let corpusInfo: PretrainManifest["corpus"] = null;
  let resumedFrom: number | null = null;
  let trainSeconds = 0;
  try {
    if (p.steps > start.step) {
      hooks.log(`tokenizing ${split.train.length} sentences`);
      const sentences = tokenizeSentences(tok, split.train, (d) => {
        if (hooks.signal.aborted) {
          throw hooks.signal.reason instanceof Error
            ? hooks.signal.reason
            : new Error("pretraining interrupted");
        }
        hooks.progress(0, p.steps - start.step, `tokenized ${d}/${split.train.length}`);
      });
      const corpus = packSentences(sentences, p.seq, sp, p.seed);
      if (corpus.rows === 0) throw new Error(`pretrain ${p.name}: no training sequences`);
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
      const stepper = await openMlmStepper({
        model: join(graphsDir, "train.onnx"),
        spec: trainSpec,
        tensors,
        step: start.step,
        loss: start.loss,
        steps: p.steps,
        hyper: { lr: p.lr, warmup_steps: warmupSteps(p), total_steps: scheduleSteps(p) },
        corpus,
        mask: mo,
        seed: p.seed,
        batch: p.batch,
        seq: p.seq,
        session: dev.options,
      });
      try {
        const t1 = performance.now();
        const outcome = await trainLoop(stepper, async (st) => {
          heldOut = await scoreHeldOut(evalSession, paramFeeds(trainSpec, floats(st)), heldOutOpts);
          const m = { loss: heldOut.loss, accuracy: heldOut.accuracy };
          return { select: m, report: m };
        }, {
          trainSize: corpus.rows,
          batchSize: p.batch,
          steps: p.steps,
          evalEvery: p.steps,
          checkpointEvery: p.checkpoint_every,
          lossEvery: 50,
          seed: (p.seed * 7919 + 17) >>> 0,
          metric: "accuracy",
          checkpointFile: join(dirs.scratchDir, CHECKPOINT_FILE),
          runId: `${runId(p)}:${start.step}:${p.steps}`,
          start: { step: start.step, order: start.dataOrder },
          progress: (done, _total) => {
            if (done > start.step && (done % 10 === 0 || done === p.steps)) {
              hooks.progress(
                done - start.step,
                p.steps - start.step,
                `step ${done} loss ${stepper.lastLoss().toFixed(3)}`,
              );
            }
          },
          log: hooks.log,
          signal: hooks.signal,
        });
        trainSeconds = (performance.now() - t1) / 1000;
        if (outcome.status === "diverged") {
          throw new Error(
            `pretrain ${p.name}: ${outcome.reason} (lr ${p.lr} too high? try a lower lr or a ` +
              `longer warm-up)`,
          );
        }
        resumedFrom = outcome.resumedFrom.at(-1) ?? null;
        await stepper.sync?.();
        final = floats(stepper.getState());
        loss = stepper.losses();
        dataOrder = outcome.order;
      } finally {
        await stepper.close();
      }
    } else {
      heldOut = await scoreHeldOut(evalSession, paramFeeds(trainSpec, tensors), heldOutOpts);
    }
  } finally {
    await evalSession.release();
  }
  if (!heldOut) throw new Error(`pretrain ${p.name}: the held-out split was not scored`);
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
  const parameters = writeWeights(out, config, final, start.modelDir);
  copyFileSync(tokFile, join(out, "tokenizer.json"));
  const moments: Record<string, Float32Array> = {};
  for (const s of trainSpec.state) moments[s.input] = final[s.input];
  writeOptimizerState(out, {
    meta: {
      format: "idim-pretrain-state/1",
      step: p.steps,
      run: runId(p),
      scheduleSteps: scheduleSteps(p),
      warmupSteps: warmupSteps(p),
      dataOrder,
    },
    moments,
    loss,
  });
  const ran = p.steps - (resumedFrom ?? start.step);
  const last = loss.subarray(Math.max(0, loss.length - 50));
  const rec = deviceRecord(dev.selection);
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
    lossCurve: lossCurve(loss),
    corpus: corpusInfo,
    ranSteps: ran,
    startStep: start.step,
    resumedFrom,
    wallSeconds: (performance.now() - t0) / 1000,
    secondsPerStep: ran > 0 ? trainSeconds / ran : null,
    tokensPerSecond: ran > 0 ? (ran * p.batch * p.seq) / trainSeconds : null,
    threads: p.threads,
    provider: rec.provider,
    device: { requested: rec.requested, skipped: rec.skipped },
    notes: [
      "MLM pretraining does not train the pooler: pooler.dense keeps its seeded initialisation",
      "no seqcls head: fine-tuning initialises it fresh, as HF does for an MLM checkpoint",
    ],
  };
  writeFileSync(join(out, "model.json"), JSON.stringify(manifest, null, 1));
  return manifest;
}
