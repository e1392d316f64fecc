/**
 * The encoder configuration, parsed from a Hugging Face `config.json` (BERT or RoBERTa).
 *
 * Only what the forward pass needs is kept; anything the encoder cannot reproduce exactly
 * (another activation, relative position embeddings, a decoder) is rejected with an error
 * naming the file and key.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** The two model families the study uses. They share one encoder. */
export type ModelFamily = "bert" | "roberta";

/** What the encoder graph builder consumes. */
export interface EncoderConfig {
  family: ModelFamily;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** The padding token id (BERT 0, RoBERTa 1); RoBERTa position ids start after it. */
  padTokenId: number;
  /** Number of classification labels (from `num_labels` or `id2label`; default 2). */
  numLabels: number;
  /** Dropout probabilities from the config (training graphs may override them). */
  hiddenDropout: number;
  attentionDropout: number;
  /** `classifier_dropout` when set, else `hidden_dropout_prob`, as HF does. */
  classifierDropout: number;
  /** Std of the normal initializer (`initializer_range`). */
  initializerRange: number;
}

type Raw = Record<string, unknown>;

function fail(file: string, key: string, expected: string, got: unknown): never {
  throw new Error(`${file}: key "${key}": expected ${expected}, got ${JSON.stringify(got)}`);
}

function int(raw: Raw, file: string, key: string, min: number, dflt?: number): number {
  const v = raw[key] ?? dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    fail(file, key, `an integer >= ${min}`, raw[key]);
  }
  return v;
}

function num(raw: Raw, file: string, key: string, dflt: number): number {
  const v = raw[key] ?? dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    fail(file, key, "a non-negative number", raw[key]);
  }
  return v;
}

/**
 * Parses a `config.json` object. `file` names the source in error messages.
 * Throws on anything the encoder does not reproduce exactly.
 */
export function parseConfig(json: unknown, file = "config.json"): EncoderConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error(`${file}: expected a JSON object`);
  }
  const raw = json as Raw;
  const type = raw.model_type;
  if (type !== "bert" && type !== "roberta") {
    fail(file, "model_type", '"bert" or "roberta"', type);
  }
  const act = raw.hidden_act ?? "gelu";
  if (act !== "gelu") fail(file, "hidden_act", '"gelu" (erf form)', act);
  const pos = raw.position_embedding_type ?? "absolute";
  if (pos !== "absolute") fail(file, "position_embedding_type", '"absolute"', pos);
  if (raw.is_decoder === true) fail(file, "is_decoder", "false (an encoder)", raw.is_decoder);
  const hiddenSize = int(raw, file, "hidden_size", 1);
  const numHeads = int(raw, file, "num_attention_heads", 1);
  if (hiddenSize % numHeads !== 0) {
    fail(file, "num_attention_heads", `a divisor of hidden_size ${hiddenSize}`, numHeads);
  }
  let numLabels = 2;
  if (raw.num_labels !== undefined) numLabels = int(raw, file, "num_labels", 1);
  else if (raw.id2label && typeof raw.id2label === "object") {
    numLabels = Object.keys(raw.id2label as object).length;
  }
  const hiddenDropout = num(raw, file, "hidden_dropout_prob", 0.1);
  const classifierDropout = raw.classifier_dropout === null || raw.classifier_dropout === undefined
    ? hiddenDropout
    : num(raw, file, "classifier_dropout", 0.1);
  return {
    family: type,
    vocabSize: int(raw, file, "vocab_size", 1),
    hiddenSize,
    numLayers: int(raw, file, "num_hidden_layers", 1),
    numHeads,
    intermediateSize: int(raw, file, "intermediate_size", 1),
    maxPositions: int(raw, file, "max_position_embeddings", 1),
    typeVocabSize: int(raw, file, "type_vocab_size", 1, 2),
    layerNormEps: num(raw, file, "layer_norm_eps", 1e-12),
    padTokenId: int(raw, file, "pad_token_id", 0, type === "roberta" ? 1 : 0),
    numLabels,
    hiddenDropout,
    attentionDropout: num(raw, file, "attention_probs_dropout_prob", 0.1),
    classifierDropout,
    initializerRange: num(raw, file, "initializer_range", 0.02),
  };
}

/** Reads and parses a `config.json` file. */
export function readConfig(path: string): EncoderConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`${path}: cannot read model config (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseConfig(json, path);
}

/** Writes an `EncoderConfig` back as an HF-style `config.json` object (for generated models). */
export function toHfConfig(c: EncoderConfig): Record<string, unknown> {
  return {
    model_type: c.family,
    architectures: [c.family === "bert" ? "BertForMaskedLM" : "RobertaForMaskedLM"],
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.maxPositions,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    pad_token_id: c.padTokenId,
    num_labels: c.numLabels,
    hidden_act: "gelu",
    hidden_dropout_prob: c.hiddenDropout,
    attention_probs_dropout_prob: c.attentionDropout,
    initializer_range: c.initializerRange,
    position_embedding_type: "absolute",
  };
}

/** The shape of roberta-large (355M parameters), for the scale benchmark and memory tests. */
export const ROBERTA_LARGE_SHAPE: EncoderConfig = {
  family: "roberta",
  vocabSize: 50265,
  hiddenSize: 1024,
  numLayers: 24,
  numHeads: 16,
  intermediateSize: 4096,
  maxPositions: 514,
  typeVocabSize: 1,
  layerNormEps: 1e-5,
  padTokenId: 1,
  numLabels: 2,
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
  classifierDropout: 0.1,
  initializerRange: 0.02,
};
