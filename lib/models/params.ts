/**
 * The parameter tensors of a BERT/RoBERTa model: canonical names, stored shapes, and the
 * mapping to Hugging Face state_dict names.
 *
 * Canonical names are HF names without the `bert.`/`roberta.` base-model prefix
 * (`embeddings.word_embeddings.weight`, `encoder.layer.3.attention.self.query.weight`,
 * `pooler.dense.weight`), and the head names as HF writes them (`classifier.weight` for BERT,
 * `classifier.dense.*` / `classifier.out_proj.*` for RoBERTa, `cls.predictions.*` /
 * `lm_head.*` for the MLM heads).
 *
 * Layout: every Linear weight is stored transposed, `[in, out]`, so `y = x · W + b` is one
 * MatMul with no Transpose. HF stores `[out, in]`. Embedding tables keep `[rows, hidden]`.
 *
 * @module
 */
import type { EncoderConfig, ModelFamily } from "./config.ts";

/** What a parameter is; decides its initialisation and whether it is a Linear weight. */
export type ParamKind = "linear" | "embedding" | "ln_weight" | "ln_bias" | "bias";

/** One parameter tensor in canonical form. */
export interface ParamSpec {
  name: string;
  /** Stored shape (Linear weights `[in, out]`). */
  shape: number[];
  kind: ParamKind;
}

/** Which head a model carries. */
export type HeadKind = "seqcls" | "mlm" | "none";

function linear(name: string, din: number, dout: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [din, dout], kind: "linear" },
    { name: `${name}.bias`, shape: [dout], kind: "bias" },
  ];
}

function layerNorm(name: string, h: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [h], kind: "ln_weight" },
    { name: `${name}.bias`, shape: [h], kind: "ln_bias" },
  ];
}

/** The encoder's parameters (embeddings, every layer, and the pooler), in a fixed order. */
export function encoderParams(c: EncoderConfig, withPooler = true): ParamSpec[] {
  const h = c.hiddenSize;
  const out: ParamSpec[] = [
    { name: "embeddings.word_embeddings.weight", shape: [c.vocabSize, h], kind: "embedding" },
    {
      name: "embeddings.position_embeddings.weight",
      shape: [c.maxPositions, h],
      kind: "embedding",
    },
    {
      name: "embeddings.token_type_embeddings.weight",
      shape: [c.typeVocabSize, h],
      kind: "embedding",
    },
    ...layerNorm("embeddings.LayerNorm", h),
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.layer.${i}`;
    out.push(
      ...linear(`${p}.attention.self.query`, h, h),
      ...linear(`${p}.attention.self.key`, h, h),
      ...linear(`${p}.attention.self.value`, h, h),
      ...linear(`${p}.attention.output.dense`, h, h),
      ...layerNorm(`${p}.attention.output.LayerNorm`, h),
      ...linear(`${p}.intermediate.dense`, h, c.intermediateSize),
      ...linear(`${p}.output.dense`, c.intermediateSize, h),
      ...layerNorm(`${p}.output.LayerNorm`, h),
    );
  }
  if (withPooler) out.push(...linear("pooler.dense", h, h));
  return out;
}

/**
 * The sequence-classification head: BERT `classifier` (on the pooler output), RoBERTa
 * `classifier.dense` + `classifier.out_proj` (on the first token).
 */
export function seqClsHeadParams(c: EncoderConfig, numLabels: number): ParamSpec[] {
  const h = c.hiddenSize;
  if (c.family === "bert") return linear("classifier", h, numLabels);
  return [...linear("classifier.dense", h, h), ...linear("classifier.out_proj", h, numLabels)];
}

/** The MLM head (transform dense + GELU + LayerNorm, decoder tied to word embeddings + bias). */
export function mlmHeadParams(c: EncoderConfig): ParamSpec[] {
  const h = c.hiddenSize;
  if (c.family === "bert") {
    return [
      ...linear("cls.predictions.transform.dense", h, h),
      ...layerNorm("cls.predictions.transform.LayerNorm", h),
      { name: "cls.predictions.bias", shape: [c.vocabSize], kind: "bias" },
    ];
  }
  return [
    ...linear("lm_head.dense", h, h),
    ...layerNorm("lm_head.layer_norm", h),
    { name: "lm_head.bias", shape: [c.vocabSize], kind: "bias" },
  ];
}

/** Whether a seqcls model uses the pooler (BERT does; RoBERTa's head reads the first token). */
export function usesPooler(family: ModelFamily): boolean {
  return family === "bert";
}

/** The HF state_dict name of a canonical parameter name. */
export function hfName(family: ModelFamily, name: string): string {
  if (/^(embeddings|encoder|pooler)\./.test(name)) return `${family}.${name}`;
  return name;
}

/**
 * The canonical name of an HF state_dict key, or null for keys that are not parameters the
 * model reads (the `position_ids` buffer, a decoder weight tied to the word embeddings).
 * Legacy `gamma`/`beta` LayerNorm names become `weight`/`bias`.
 */
export function canonicalName(key: string): string | null {
  let k = key.replace(/^(bert|roberta)\./, "");
  if (k.endsWith("position_ids")) return null;
  if (k === "cls.predictions.decoder.weight" || k === "lm_head.decoder.weight") return null;
  if (k === "cls.predictions.decoder.bias") return "cls.predictions.bias";
  if (k === "lm_head.decoder.bias") return "lm_head.bias";
  k = k.replace(/\.gamma$/, ".weight").replace(/\.beta$/, ".bias");
  return k;
}

/** Total number of scalars in a list of parameter specs. */
export function countParams(specs: ParamSpec[]): number {
  let n = 0;
  for (const s of specs) n += s.shape.reduce((a, b) => a * b, 1);
  return n;
}

/** The number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
