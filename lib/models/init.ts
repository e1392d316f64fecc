/**
 * Random initialisation of a BERT/RoBERTa model, written in the shared weights-file format:
 * Linear and embedding weights N(0, initializer_range²) (0.02 by default), LayerNorm weight 1
 * and bias 0, every bias 0, the word-embedding padding row 0 — as HF's `_init_weights` does.
 *
 * Each tensor draws from its own stream of the project PRNG (`Prng(seed, tensorIndex)`), so the
 * result depends only on (config, head, seed), and is generated in bounded chunks.
 *
 * @module
 */
import type { EncoderConfig } from "./config.ts";
import {
  encoderParams,
  type HeadKind,
  mlmHeadParams,
  numel,
  type ParamSpec,
  seqClsHeadParams,
} from "./params.ts";
import { Prng } from "../random/mod.ts";
import { type WeightsIndex, WeightsWriter } from "./weights_file.ts";

/** Options for `initWeights`. */
export interface InitOptions {
  /** Which head to add: `mlm` (pretraining), `seqcls`, or `none` (default `mlm`). */
  head?: HeadKind;
  /** Labels of a seqcls head (default `config.numLabels`). */
  numLabels?: number;
}

/** The parameter list of a model with the given head (encoder with pooler, then the head). */
export function modelParams(c: EncoderConfig, head: HeadKind, numLabels?: number): ParamSpec[] {
  const specs = encoderParams(c, true);
  if (head === "mlm") specs.push(...mlmHeadParams(c));
  if (head === "seqcls") specs.push(...seqClsHeadParams(c, numLabels ?? c.numLabels));
  return specs;
}

/** Fills one parameter as HF initialises it (whole tensor; for small tensors and tests). */
export function initTensor(spec: ParamSpec, c: EncoderConfig, rng: Prng): Float32Array {
  const out = new Float32Array(numel(spec.shape));
  for (const chunk of initChunks(spec, c, rng, out.length)) out.set(chunk.data, chunk.offset);
  return out;
}

function* initChunks(
  spec: ParamSpec,
  c: EncoderConfig,
  rng: Prng,
  chunkElems: number,
): Generator<{ offset: number; data: Float32Array }> {
  const n = numel(spec.shape);
  const cols = spec.shape[spec.shape.length - 1];
  for (let start = 0; start < n; start += chunkElems) {
    const data = new Float32Array(Math.min(chunkElems, n - start));
    if (spec.kind === "linear" || spec.kind === "embedding") {
      rng.fillNormal(data, c.initializerRange);
    } else if (spec.kind === "ln_weight") data.fill(1);
    if (spec.name === "embeddings.word_embeddings.weight") {
      const pad0 = c.padTokenId * cols;
      for (let i = Math.max(pad0, start); i < Math.min(pad0 + cols, start + data.length); i++) {
        data[i - start] = 0;
      }
    }
    yield { offset: start, data };
  }
}

/**
 * Writes a freshly initialised model to `<outDir>/weights.bin` + `weights.json` and returns the
 * index. Deterministic in `seed`.
 */
export function initWeights(
  config: EncoderConfig,
  seed: number,
  outDir: string,
  opts: InitOptions = {},
): WeightsIndex {
  const specs = modelParams(config, opts.head ?? "mlm", opts.numLabels);
  const writer = new WeightsWriter(outDir);
  try {
    specs.forEach((spec, i) => {
      const rng = new Prng(seed, i + 1);
      const it = initChunks(spec, config, rng, 1 << 20);
      writer.add(
        spec.name,
        spec.shape,
        (function* () {
          for (const ch of it) yield ch.data;
        })(),
      );
    });
    return writer.finish();
  } catch (e) {
    writer.abort();
    throw e;
  }
}
