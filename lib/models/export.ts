/**
 * Export the training and evaluation graphs of one (model, method, size, batch, seq, labels,
 * optimizer) into a directory:
 *
 * - `train.onnx` (+ `train.onnx.json`, the `TrainSpec` of `lib/onnx`): inputs = the batch
 *   (`input_ids`, `attention_mask`, `token_type_ids` for BERT, `labels`), the trainable tensors,
 *   their Adam moments (`<name>.m`, `<name>.v`), `step`, `lr` (+ schedule inputs); outputs =
 *   `loss`, `<name>.next` for every carried tensor, `grad_norm`, `lr_now`, `logits`.
 * - `eval.onnx` (+ `eval.onnx.json`): the batch without labels and the trainable tensors → `logits`.
 * - `task: "mlm"` (pretraining; method full, the encoder without pooler plus the MLM head decoded
 *   at `masked_positions` [B, P]; labels [B, P], −100 = not scored): the training graph outputs
 *   the loss and carried state but no logits ([B, P, vocab] would be copied out every step), the
 *   evaluation graph takes the labels too and outputs `loss` and `correct` (masked positions whose
 *   argmax is the label, float32). `lib/pretrain` trains with them.
 * - `init_state.bin` + `init_state.json`: the initial trainable tensors (z = 0, λ = 1, LoRA A
 *   Kaiming-uniform and B = 0, copies of θ0 for full fine-tuning and the LoRA head), float32,
 *   64-byte aligned, `{tensors: {name: {shape, offset, length}}}`.
 * - `graph.json`: {@link GraphMeta}.
 * - `weights.bin`: θ0, hard-linked from the model directory (referenced as external data by both
 *   graphs, relative to their directory) and, for DID/SAID, `fastfood.bin` (G and Π mod n).
 *
 * Before building anything, the peak memory is estimated and an error names the model and the
 * numbers when it exceeds the limit.
 *
 * @module
 */
import { copyFileSync, existsSync, linkSync, writeFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import {
  buildEvalGraph,
  buildTrainGraph,
  Graph,
  type OptimizerConfig,
  saveModel,
  type Tensor,
} from "../onnx/mod.ts";
import type { Method } from "../results/mod.ts";
import { readConfig } from "./config.ts";
import { encoder, encoderInputs } from "./encoder.ts";
import { FastfoodFile } from "./fastfood.ts";
import { mlmHead, seqClsHead } from "./heads.ts";
import { estimateMemory, formatBytes, type MemoryEstimate } from "./memory.ts";
import { cast, equal, reduceSum, reshape, softmaxCrossEntropy } from "./ops.ts";
import {
  type ModelContext,
  modelContext,
  type Parameterization,
  type Trainable,
  trainableCount,
} from "./parameterize/common.ts";
import { did } from "./parameterize/did.ts";
import { full } from "./parameterize/full.ts";
import { lora } from "./parameterize/lora.ts";
import { said } from "./parameterize/said.ts";
import { encoderParams, mlmHeadParams, numel } from "./params.ts";
import { readWeightsIndex, WEIGHTS_BIN } from "./weights_file.ts";
import { writeInitState } from "./init_state.ts";

/** The label of an MLM slot that is not scored (SoftmaxCrossEntropyLoss `ignore_index`). */
export const MLM_IGNORE_INDEX = -100;

/** What to export. */
export interface ExportOptions {
  method: Method;
  /** d for DID/SAID, r for LoRA (ignored for full). */
  size?: number;
  batch: number;
  seq: number;
  numLabels: number;
  optimizer: OptimizerConfig;
  /** Seed of projections, LoRA A and a fresh head. */
  seed: number;
  /** DID/SAID: per-tensor (default) or one global projection. */
  projection?: "per-tensor" | "global";
  /** SAID: one λ per tensor (default) or per layer. */
  lambdaPer?: "tensor" | "layer";
  /** DID/SAID per-tensor projections batched by padded length (default `FASTFOOD_BATCHED`). */
  fastfoodBatched?: boolean;
  /**
   * LoRA: α (required for LoRA; its default lives in the experiment schema, `experiment.lora`),
   * targets (default query, value), rsLoRA.
   */
  loraAlpha?: number;
  loraTargets?: string[];
  rslora?: boolean;
  /** Dropout in the training graph (hidden, attention and classifier; default 0). */
  dropout?: number;
  /** `seqcls` (default) or `mlm` (pretraining, full only; `maskedPositions` per row). */
  task?: "seqcls" | "mlm";
  maskedPositions?: number;
  /** Also output `<name>.grad` for every trainable tensor (tests). */
  outputGrads?: boolean;
  /** Memory limit in bytes for the estimate check (default: this machine's RAM). */
  memoryLimitBytes?: number;
  /** A name for messages and metadata (default: the model directory). */
  modelName?: string;
}

/** `graph.json`: what a training stage needs to know about the exported graphs. */
export interface GraphMeta {
  format: "idim-graphs/1";
  model: string;
  family: string;
  method: Method;
  size: number | null;
  batch: number;
  seq: number;
  numLabels: number;
  task: "seqcls" | "mlm";
  seed: number;
  options: Record<string, unknown>;
  optimizer: OptimizerConfig;
  files: { train: string; eval: string; weights: string; initState: string; fastfood?: string };
  /** Batch inputs of each graph, in order. */
  inputs: { train: string[]; eval: string[] };
  trainable: { name: string; shape: number[] }[];
  trainableCount: number;
  /** Parameters of the model the graphs read (θ0). */
  modelParamCount: number;
  memory: MemoryEstimate;
}

/** The parameterization of a method. */
export function parameterization(o: ExportOptions): Parameterization {
  const need = () => {
    if (o.size === undefined) throw new Error(`export: method ${o.method} needs a size`);
    return o.size;
  };
  switch (o.method) {
    case "full":
      return full;
    case "did":
      return did({
        d: need(),
        projection: o.projection,
        seed: o.seed,
        batched: o.fastfoodBatched,
      });
    case "said":
      return said({
        d: need(),
        projection: o.projection,
        seed: o.seed,
        lambdaPer: o.lambdaPer,
        batched: o.fastfoodBatched,
      });
    case "lora":
      if (o.loraAlpha === undefined) throw new Error("export: method lora needs loraAlpha");
      return lora({
        r: need(),
        alpha: o.loraAlpha,
        targets: o.loraTargets,
        rslora: o.rslora,
        seed: o.seed,
      });
  }
}

/** The model context of an export (MLM graphs read the encoder without pooler plus the MLM head). */
export function exportContext(modelDir: string, o: ExportOptions): ModelContext {
  const config = readConfig(join(modelDir, "config.json"));
  const index = readWeightsIndex(modelDir);
  const m = modelContext(config, modelDir, index, o.numLabels, o.seed);
  if ((o.task ?? "seqcls") === "mlm") {
    if (o.method !== "full") throw new Error(`export: the mlm task supports method full only`);
    m.specs = [...encoderParams(config, false), ...mlmHeadParams(config)];
    m.extra.clear();
    for (const s of m.specs) {
      if (!index.tensors[s.name]) throw new Error(`${modelDir}/weights.json: no "${s.name}"`);
    }
  }
  return m;
}

interface Built {
  g: Graph;
  inputs: Map<string, Tensor>;
  logits: Tensor;
  batchInputs: Tensor[];
}

function buildForward(
  m: ModelContext,
  p: Parameterization,
  trainables: Trainable[],
  o: ExportOptions,
  training: boolean,
): Built {
  const g = new Graph(`idim-${o.method}`);
  const enc = encoderInputs(g, m.config, o.batch, o.seq);
  const batchInputs = [
    enc.inputIds,
    enc.attentionMask,
    ...(enc.tokenTypeIds ? [enc.tokenTypeIds] : []),
  ];
  const inputs = new Map<string, Tensor>();
  for (const t of trainables) inputs.set(t.name, g.input(t.name, "float32", t.shape));
  const src = p.source(g, m, inputs);
  const drop = training ? o.dropout ?? 0 : 0;
  const opts = { hiddenDropout: drop, attentionDropout: drop, seed: o.seed };
  const h = encoder(m.config, src, enc, opts).last;
  let logits: Tensor;
  if ((o.task ?? "seqcls") === "mlm") {
    const pos = g.input("masked_positions", "int64", [o.batch, o.maskedPositions ?? 1]);
    batchInputs.push(pos);
    logits = mlmHead(m.config, src, h, pos);
  } else {
    logits = seqClsHead(m.config, src, h, { dropout: drop, seed: o.seed });
  }
  return { g, inputs, logits, batchInputs };
}

/** The MLM loss over the gathered positions (−100 labels ignored) and the `labels` input. */
function mlmLoss(b: Built, vocabSize: number, o: ExportOptions): { loss: Tensor; labels: Tensor } {
  const labels = b.g.input("labels", "int64", [o.batch, o.maskedPositions ?? 1]);
  const loss = softmaxCrossEntropy(reshape(b.logits, [-1, vocabSize]), reshape(labels, [-1]), {
    ignoreIndex: MLM_IGNORE_INDEX,
  });
  return { loss, labels };
}

/**
 * The MLM evaluation outputs: `loss` and `correct`, the number of masked positions whose argmax
 * is the label (float32). The logits [B, P, vocab] stay inside the graph.
 */
function mlmScores(b: Built, vocabSize: number, o: ExportOptions): Record<string, Tensor> {
  const { loss, labels } = mlmLoss(b, vocabSize, o);
  const [pred] = b.g.node({
    op: "ArgMax",
    inputs: [b.logits],
    outputs: [{ dtype: "int64", shape: [o.batch, o.maskedPositions ?? 1] }],
    attrs: { axis: 2, keepdims: 0 },
    noGradReason: "ArgMax of the MLM logits (accuracy only)",
  });
  return { loss, correct: reduceSum(cast(equal(pred, labels), "float32")) };
}

/** Makes `<outDir>/weights.bin` the model's weights file: a hard link (a copy across devices). */
export function linkWeights(modelDir: string, outDir: string): void {
  const dst = join(outDir, WEIGHTS_BIN);
  if (existsSync(dst)) return;
  try {
    linkSync(join(modelDir, WEIGHTS_BIN), dst);
  } catch {
    copyFileSync(join(modelDir, WEIGHTS_BIN), dst);
  }
}

/** Exports the graphs, initial state and metadata of one configuration into `outDir`. */
export function exportGraphs(modelDir: string, outDir: string, o: ExportOptions): GraphMeta {
  const m = exportContext(modelDir, o);
  const p = parameterization(o);
  const trainables = p.trainables(m);
  const count = trainableCount(trainables);
  const modelParamCount = m.specs.reduce((s, x) => s + numel(x.shape), 0);
  const name = o.modelName ?? modelDir;
  const memory = estimateMemory(m.config, {
    method: o.method,
    modelParams: modelParamCount,
    trainable: count,
    batch: o.batch,
    seq: o.seq,
    fastfoodLengths: o.method === "did" || o.method === "said"
      ? fastfoodLengths(m, o.size!, o.projection)
      : [],
  });
  const limit = o.memoryLimitBytes ?? totalmem();
  if (memory.totalBytes > limit) {
    throw new Error(
      `export ${name} (${o.method}${o.size ? ` size ${o.size}` : ""}, batch ${o.batch}, seq ` +
        `${o.seq}): estimated peak memory ${formatBytes(memory.totalBytes)} exceeds the limit ` +
        `${formatBytes(limit)} (weights ${formatBytes(memory.weightsBytes)}, trainable+Adam ` +
        `${formatBytes(memory.stateBytes)}, activations ${formatBytes(memory.activationBytes)}, ` +
        `effective weights+gradients ${formatBytes(memory.workBytes)}, Fastfood ` +
        `${formatBytes(memory.fastfoodBytes)})`,
    );
  }
  linkWeights(modelDir, outDir);
  const projected = o.method === "did" || o.method === "said";
  const ffFile = projected
    ? new FastfoodFile(join(outDir, "fastfood.bin"), "fastfood.bin")
    : undefined;
  m.store = ffFile;
  const mlm = o.task === "mlm";
  try {
    // Training graph.
    const tr = buildForward(m, p, trainables, o, true);
    const params = trainables.map((t) => tr.inputs.get(t.name)!);
    if (mlm) {
      const { loss } = mlmLoss(tr, m.config.vocabSize, o);
      const trainSpec = buildTrainGraph(tr.g, {
        loss,
        params,
        optimizer: o.optimizer,
        outputGrads: o.outputGrads,
      });
      saveModel(tr.g, join(outDir, "train.onnx"), trainSpec);
    } else {
      const labels = tr.g.input("labels", "int64", [o.batch]);
      const trainSpec = buildTrainGraph(tr.g, {
        loss: softmaxCrossEntropy(tr.logits, labels),
        params,
        optimizer: o.optimizer,
        extras: { logits: tr.logits },
        outputGrads: o.outputGrads,
      });
      saveModel(tr.g, join(outDir, "train.onnx"), trainSpec);
    }
    // Evaluation graph.
    const ev = buildForward(m, p, trainables, o, false);
    const evParams = trainables.map((t) => ev.inputs.get(t.name)!);
    const evalSpec = mlm
      ? buildEvalGraph(ev.g, evParams, mlmScores(ev, m.config.vocabSize, o))
      : buildEvalGraph(ev.g, evParams, { logits: ev.logits });
    saveModel(ev.g, join(outDir, "eval.onnx"), evalSpec);
  } finally {
    ffFile?.close();
  }
  writeInitState(outDir, trainables);
  const meta: GraphMeta = {
    format: "idim-graphs/1",
    model: name,
    family: m.config.family,
    method: o.method,
    size: o.method === "full" ? null : o.size ?? null,
    batch: o.batch,
    seq: o.seq,
    numLabels: o.numLabels,
    task: o.task ?? "seqcls",
    seed: o.seed,
    options: {
      projection: o.projection ?? "per-tensor",
      lambdaPer: o.lambdaPer ?? "tensor",
      ...(o.fastfoodBatched !== undefined ? { fastfoodBatched: o.fastfoodBatched } : {}),
      loraAlpha: o.loraAlpha ?? null,
      loraTargets: o.loraTargets ?? ["query", "value"],
      rslora: o.rslora ?? false,
      dropout: o.dropout ?? 0,
      maskedPositions: o.maskedPositions ?? null,
    },
    optimizer: o.optimizer,
    files: {
      train: "train.onnx",
      eval: "eval.onnx",
      weights: WEIGHTS_BIN,
      initState: "init_state.bin",
      ...(projected ? { fastfood: "fastfood.bin" } : {}),
    },
    inputs: {
      train: [
        "input_ids",
        "attention_mask",
        ...(m.config.typeVocabSize > 1 ? ["token_type_ids"] : []),
        ...(o.task === "mlm" ? ["masked_positions"] : []),
        "labels",
      ],
      eval: [
        "input_ids",
        "attention_mask",
        ...(m.config.typeVocabSize > 1 ? ["token_type_ids"] : []),
        ...(o.task === "mlm" ? ["masked_positions", "labels"] : []),
      ],
    },
    trainable: trainables.map((t) => ({ name: t.name, shape: t.shape })),
    trainableCount: count,
    modelParamCount,
    memory,
  };
  writeFileSync(join(outDir, "graph.json"), JSON.stringify(meta, null, 1));
  return meta;
}

/** The Fastfood lengths L of a DID/SAID export (per tensor, or one global). */
function fastfoodLengths(m: ModelContext, d: number, projection?: string): number[] {
  const pow2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(x, d, 1)));
  if (projection === "global") return [pow2(m.specs.reduce((s, x) => s + numel(x.shape), 0))];
  return m.specs.map((s) => pow2(numel(s.shape)));
}
