/**
 * The MLM pretraining graphs: the encoder (no pooler) and the MLM head decoded only at the
 * gathered masked positions, every parameter trainable (`param/<name>`, as full fine-tuning
 * names them), AdamW with the in-graph warm-up / linear-decay schedule.
 *
 * Unlike `exportGraphs(…, {task: "mlm"})`, whose extras include the logits [B, P, vocab] (copied
 * out of ORT every step: 13 MB at batch 32, 10 positions, 8k vocabulary), the training graph outputs
 * only the loss (and the updated state); the evaluation graph takes the labels too and outputs
 * `loss` and `correct`, the number of masked positions whose argmax is the label (float32).
 * (An ArgMax over [B·P, vocab] in every training step would cost ~1.5% for a curve nobody needs.)
 * No dropout: a bit-exact resume needs every random choice in JS (ORT's Dropout kernel cannot be
 * restored), and a model this small trained this briefly underfits anyway.
 *
 * @module
 */
import { Graph, type Tensor } from "../onnx/graph.ts";
import type { OptimizerConfig } from "../onnx/optim.ts";
import { toModelProto } from "../onnx/serialize.ts";
import { buildEvalGraph, buildTrainGraph, type EvalSpec, type TrainSpec } from "../onnx/train.ts";
import type { EncoderConfig } from "../models/config.ts";
import { encoder, encoderInputs, type ParamSource } from "../models/encoder.ts";
import { mlmHead } from "../models/heads.ts";
import { cast, equal, reduceSum, reshape, softmaxCrossEntropy } from "../models/ops.ts";
import { fullName } from "../models/parameterize/full.ts";
import { encoderParams, mlmHeadParams, type ParamSpec } from "../models/params.ts";
import { IGNORE_INDEX } from "./masking.ts";

/** The tensors pretraining trains: the encoder without pooler, then the MLM head. */
export function pretrainSpecs(c: EncoderConfig): ParamSpec[] {
  return [...encoderParams(c, false), ...mlmHeadParams(c)];
}

/** Shapes of one pretraining configuration. */
export interface PretrainGraphOptions {
  batch: number;
  seq: number;
  positions: number;
  optimizer: OptimizerConfig;
}

/** A serialized graph and its spec. */
export interface BuiltGraphs {
  train: { bytes: Uint8Array; spec: TrainSpec };
  eval: { bytes: Uint8Array; spec: EvalSpec };
  specs: ParamSpec[];
}

function forward(c: EncoderConfig, o: PretrainGraphOptions, specs: ParamSpec[], scored: boolean) {
  const g = new Graph("idim-pretrain");
  const enc = encoderInputs(g, c, o.batch, o.seq);
  const params = new Map<string, Tensor>();
  for (const s of specs) params.set(s.name, g.input(fullName(s.name), "float32", s.shape));
  const src: ParamSource = {
    weight: (name) => {
      const t = params.get(name);
      if (!t) throw new Error(`pretrain graph: no parameter "${name}"`);
      return t;
    },
  };
  const h = encoder(c, src, enc).last;
  const pos = g.input("masked_positions", "int64", [o.batch, o.positions]);
  const labels = g.input("labels", "int64", [o.batch, o.positions]);
  const logits = mlmHead(c, src, h, pos);
  const flat = reshape(logits, [-1, c.vocabSize]);
  const loss = softmaxCrossEntropy(flat, reshape(labels, [-1]), { ignoreIndex: IGNORE_INDEX });
  if (!scored) return { g, params: specs.map((s) => params.get(s.name)!), loss };
  const [pred] = g.node({
    op: "ArgMax",
    inputs: [logits],
    outputs: [{ dtype: "int64", shape: [o.batch, o.positions] }],
    attrs: { axis: 2, keepdims: 0 },
    noGradReason: "ArgMax of the MLM logits (accuracy only)",
  });
  const correct = reduceSum(cast(equal(pred, labels), "float32"));
  return { g, params: specs.map((s) => params.get(s.name)!), loss, correct };
}

/** Builds and serializes the training and evaluation graphs. */
export function buildPretrainGraphs(c: EncoderConfig, o: PretrainGraphOptions): BuiltGraphs {
  const specs = pretrainSpecs(c);
  const tr = forward(c, o, specs, false);
  const trainSpec = buildTrainGraph(tr.g, {
    loss: tr.loss,
    params: tr.params,
    optimizer: o.optimizer,
  });
  const ev = forward(c, o, specs, true);
  const evalSpec = buildEvalGraph(ev.g, ev.params, { loss: ev.loss, correct: ev.correct! });
  return {
    train: { bytes: toModelProto(tr.g), spec: trainSpec },
    eval: { bytes: toModelProto(ev.g), spec: evalSpec },
    specs,
  };
}
