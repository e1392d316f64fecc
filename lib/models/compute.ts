/**
 * Compute estimates of training runs, for `pipeline run --dry-run`: the FLOPs of a run from
 * the model's shape, the method, the schedule and the evaluation cadence. Shapes of the study's
 * public checkpoints are known here, so a plan can be costed before anything is downloaded.
 *
 * Counting: a forward pass costs 2 FLOPs per weight per token in the encoder's matrices plus
 * the attention products (4 · layers · seq² · hidden per sequence); the backward pass to the
 * activations costs the same again, and the weight gradients of full fine-tuning once more.
 * DID/SAID add two Fastfood transforms per step (≈ 4 · L · log2 L per projected tensor).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type EncoderConfig, parseConfig, readConfig } from "./config.ts";
import { encoderParams, numel } from "./params.ts";
import { nextPow2 } from "./fastfood_params.ts";

type Shape = Pick<
  EncoderConfig,
  "hiddenSize" | "numLayers" | "numHeads" | "intermediateSize" | "vocabSize"
>;

/** Shapes of public checkpoints (their config.json values), by Hub repository name. */
export const KNOWN_SHAPES: Record<string, Shape> = {
  "bert-base-uncased": {
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    intermediateSize: 3072,
    vocabSize: 30522,
  },
  "bert-large-uncased": {
    hiddenSize: 1024,
    numLayers: 24,
    numHeads: 16,
    intermediateSize: 4096,
    vocabSize: 30522,
  },
  "roberta-base": {
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    intermediateSize: 3072,
    vocabSize: 50265,
  },
  "roberta-large": {
    hiddenSize: 1024,
    numLayers: 24,
    numHeads: 16,
    intermediateSize: 4096,
    vocabSize: 50265,
  },
};

/** The shape of a known repository (`google-bert/bert-base-uncased` → `bert-base-uncased`). */
export function knownShape(repo: string): Shape | undefined {
  return KNOWN_SHAPES[repo.split("/").pop()!];
}

/** Weights of the encoder's matrices (what costs FLOPs per token; embeddings are lookups). */
export function matmulParams(s: Shape): number {
  const h = s.hiddenSize;
  return s.numLayers * (4 * h * h + 2 * h * s.intermediateSize) + h * h;
}

/** Every parameter of the encoder (embeddings, LayerNorms, biases included), for Fastfood. */
export function projectedTensorSizes(s: Shape): number[] {
  const c = { ...s, family: "bert", maxPositions: 512, typeVocabSize: 2 } as EncoderConfig;
  return encoderParams(c, true).map((p) => numel(p.shape));
}

/** Forward FLOPs of one batch. */
export function forwardFlops(s: Shape, batch: number, seq: number): number {
  const tokens = batch * seq;
  return 2 * matmulParams(s) * tokens + 4 * s.numLayers * seq * seq * s.hiddenSize * batch;
}

/** One run to estimate. */
export interface RunCost {
  shape: Shape;
  method: "full" | "did" | "said" | "lora";
  /** d or r. */
  size?: number;
  batch: number;
  seq: number;
  steps: number;
  /** Evaluations and the rows each one scores (select + report splits). */
  evals: number;
  evalRows: number;
}

/** FLOPs of one training run. */
export function runFlops(r: RunCost): number {
  const fwd = forwardFlops(r.shape, r.batch, r.seq);
  let step = r.method === "full" ? 3 * fwd : 2 * fwd;
  if (r.method === "lora" && r.size) {
    const h = r.shape.hiddenSize;
    step += 3 * 2 * 2 * r.shape.numLayers * 2 * r.size * h * r.batch * r.seq;
  }
  if ((r.method === "did" || r.method === "said") && r.size) {
    for (const D of projectedTensorSizes(r.shape)) {
      const L = nextPow2(Math.max(D, r.size));
      step += 2 * 2 * L * Math.log2(L);
    }
  }
  const evalFlops = r.evals * forwardFlops(r.shape, r.evalRows, r.seq);
  return r.steps * step + evalFlops;
}

/** The model shape behind a model instance reference, if it can be known before running it. */
export function shapeOfModelRef(
  ref: { kind: string; params: Record<string, unknown> },
): Shape | undefined {
  const p = ref.params;
  if (ref.kind === "pretrain") {
    const tok = (p.tokenizer as { params?: { vocab_size?: number | null } } | undefined)?.params;
    return {
      hiddenSize: Number(p.hidden),
      numLayers: Number(p.layers),
      numHeads: Number(p.heads),
      intermediateSize: Number(p.intermediate),
      vocabSize: tok?.vocab_size ?? 30522,
    };
  }
  if (p.source === "hub" && typeof p.repo === "string") return knownShape(p.repo);
  if (p.source === "local" && typeof p.path === "string") {
    const file = join(p.path, "config.json");
    return existsSync(file) ? readConfig(file) : undefined;
  }
  if (p.source === "random" && p.config) return parseConfig(p.config, "params.config");
  return undefined;
}

/** `1,234` style with SI suffix for parameter counts. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toPrecision(3)}B`;
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
  return String(n);
}
