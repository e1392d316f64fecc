/**
 * LoRA (Hu et al. 2021, as PEFT implements it): on each target Linear, y = x W0 + b0 + s·(x Aᵀ) Bᵀ
 * with A [r, in] Kaiming-uniform (PEFT: U(−1/√in, 1/√in)), B [out, r] zero, s = α/r (or α/√r
 * with rsLoRA). Targets are matched like PEFT's `target_modules`: a Linear of an encoder layer
 * whose name ends with `.<target>` (default `query` and `value`).
 *
 * The target `word_embeddings` adapts the token embedding E [V, H] as PEFT's LoRA Embedding does:
 * E + s·Aᵀ Bᵀ with A [r, V] zero and B [H, r] standard normal (PEFT's init for embeddings), so a
 * rank-r update of every token's vector.
 *
 * The classification head is trained fully as PEFT's `modules_to_save` does for SEQ_CLS: BERT's
 * `classifier` only (the pooler stays frozen); RoBERTa's `classifier.dense` and
 * `classifier.out_proj`. Trainable names: `lora/<prefix>/A`, `lora/<prefix>/B`,
 * `head/<name>` (head tensors in stored layout, Linear weights `[in, out]`).
 *
 * @module
 */
import type { Tensor } from "../../onnx/mod.ts";
import type { ParamSource } from "../encoder.ts";
import { add, matmul, mul, transpose } from "../ops.ts";
import { seqClsHeadParams } from "../params.ts";
import { Prng } from "../../random/mod.ts";
import {
  frozen,
  inputOf,
  type ModelContext,
  type Parameterization,
  theta0,
  type Trainable,
} from "./common.ts";

/** Options of LoRA. */
export interface LoraOptions {
  r: number;
  /** The LoRA α (PEFT default 8). */
  alpha: number;
  /** Module-name suffixes (default `["query", "value"]`). */
  targets?: string[];
  /** Scale α/√r instead of α/r. */
  rslora?: boolean;
  /** Seed of A's initialisation. */
  seed: number;
}

/** The LoRA target of the token embedding. */
export const EMBEDDING_TARGET = "word_embeddings";

/** One adapted matrix: a Linear (stored [in, out]) or the token embedding ([V, H]). */
export interface LoraTarget {
  prefix: string;
  din: number;
  dout: number;
  kind: "linear" | "embedding";
}

/** The adapted matrices with their (in, out) sizes: the embedding first, then layer order. */
export function loraTargets(m: ModelContext, targets: string[]): LoraTarget[] {
  const out: LoraTarget[] = [];
  for (const s of m.specs) {
    const prefix = s.name.slice(0, -".weight".length);
    if (s.kind === "embedding" && prefix === `embeddings.${EMBEDDING_TARGET}`) {
      if (targets.includes(EMBEDDING_TARGET)) {
        out.push({ prefix, din: s.shape[0], dout: s.shape[1], kind: "embedding" });
      }
      continue;
    }
    if (s.kind !== "linear" || !s.name.startsWith("encoder.layer.")) continue;
    if (targets.some((t) => prefix.endsWith(`.${t}`))) {
      out.push({ prefix, din: s.shape[0], dout: s.shape[1], kind: "linear" });
    }
  }
  if (out.length === 0) throw new Error(`LoRA: no Linear matches targets [${targets}]`);
  return out;
}

/** The LoRA scaling factor. */
export function loraScale(o: LoraOptions): number {
  return o.rslora ? o.alpha / Math.sqrt(o.r) : o.alpha / o.r;
}

/** LoRA of rank r. */
export function lora(opts: LoraOptions): Parameterization {
  if (!(Number.isInteger(opts.r) && opts.r >= 1)) {
    throw new Error(`LoRA: r must be an integer ≥ 1, got ${opts.r}`);
  }
  const targets = opts.targets ?? ["query", "value"];
  const s = loraScale(opts);
  return {
    trainables(m): Trainable[] {
      const ts: Trainable[] = [];
      loraTargets(m, targets).forEach((t, i) => {
        const A = new Float32Array(opts.r * t.din);
        const B = new Float32Array(t.dout * opts.r);
        if (t.kind === "embedding") new Prng(opts.seed, 7500).fillNormal(B);
        else {
          new Prng(opts.seed, 7000 + i).fillUniform(A, -1 / Math.sqrt(t.din), 1 / Math.sqrt(t.din));
        }
        ts.push({ name: `lora/${t.prefix}/A`, shape: [opts.r, t.din], init: A });
        ts.push({ name: `lora/${t.prefix}/B`, shape: [t.dout, opts.r], init: B });
      });
      for (const h of seqClsHeadParams(m.config, m.numLabels)) {
        ts.push({ name: `head/${h.name}`, shape: h.shape, init: theta0(m, h.name) });
      }
      return ts;
    },
    source(g, m, inputs: Map<string, Tensor>): ParamSource {
      const base = frozen(g, m);
      const head = new Set(seqClsHeadParams(m.config, m.numLabels).map((h) => h.name));
      const all = loraTargets(m, targets);
      const tset = new Set(all.filter((t) => t.kind === "linear").map((t) => t.prefix));
      const embedding = all.find((t) => t.kind === "embedding");
      const adapted = (name: string) => {
        const prefix = embedding!.prefix;
        const A = inputOf(inputs, `lora/${prefix}/A`), B = inputOf(inputs, `lora/${prefix}/B`);
        return add(base.weight(name), mul(matmul(transpose(A, [1, 0]), transpose(B, [1, 0])), s));
      };
      let adaptedEmbedding: Tensor | undefined;
      return {
        weight: (name) => {
          if (head.has(name)) return inputOf(inputs, `head/${name}`);
          if (embedding && name === `${embedding.prefix}.weight`) {
            return adaptedEmbedding ??= adapted(name);
          }
          return base.weight(name);
        },
        linear(prefix, x) {
          if (!tset.has(prefix)) return undefined;
          const A = inputOf(inputs, `lora/${prefix}/A`), B = inputOf(inputs, `lora/${prefix}/B`);
          const y0 = add(matmul(x, base.weight(`${prefix}.weight`)), base.weight(`${prefix}.bias`));
          const low = matmul(matmul(x, transpose(A, [1, 0])), transpose(B, [1, 0]));
          return add(y0, mul(low, s));
        },
      };
    },
  };
}
