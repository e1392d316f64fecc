/**
 * Stage `tokenize`: a dataset artifact (from `download-dataset`) and a tokenizer artifact (any
 * stage whose outputs include `tokenizer.json`: `download-model`, `embedded-tokenizer`) → int32
 * tensors per role split, padded to `max_length` (see `lib/data/token_tensors.ts`; read them
 * back with `readTokenTensors`). Sentence pairs, truncation and token type ids are as Hugging
 * Face's tokenizers do them. The key covers (tokenizer, task, max length, truncation).
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { defineStage } from "../lib/pipeline/stage.ts";
import { instanceRefSchema } from "../lib/refs/mod.ts";
import { ROLE_SPLITS, sha256Hex, TENSOR_NAMES, tokenizeDataset } from "../lib/data/mod.ts";
import { HfTokenizer } from "../lib/text/mod.ts";

/** Parameters of `tokenize`. */
export const tokenizeParams = z.strictObject({
  /** The `download-dataset` instance. */
  dataset: instanceRefSchema,
  /** The instance whose outputs hold `tokenizer.json`. */
  tokenizer: instanceRefSchema,
  /** Tokens per row, special tokens included; longer inputs are truncated. */
  max_length: z.number().int().min(4).max(4096).default(128),
  truncation: z.enum(["longest_first", "only_first", "only_second"]).default("longest_first"),
});

/** Every file `tokenize` writes. */
export function tokenizeOutputs(): string[] {
  return [
    "tokens.json",
    ...ROLE_SPLITS.flatMap((s) => [`${s}.json`, ...TENSOR_NAMES.map((t) => `${s}.${t}.bin`)]),
  ];
}

export const stage = defineStage({
  kind: "tokenize",
  description: "Tokenize a dataset's splits into padded int32 id/mask/type tensors",
  module: import.meta.url,
  params: tokenizeParams,
  inputs: (p) => ({
    dataset: p.dataset,
    tokenizer: p.tokenizer,
  }),
  outputs: tokenizeOutputs,
  resources: () => ({ cpus: 1, memoryMiB: 3072 }),
  label: (p) => `task=${String(p.dataset.params.task)},max_length=${p.max_length}`,
  async run(ctx) {
    const p = ctx.params;
    const path = join(ctx.inputs.tokenizer, "tokenizer.json");
    const bytes = await Deno.readFile(path).catch((e) => {
      throw new Error(
        `tokenize: the tokenizer input has no tokenizer.json (${path}): ${e.message}`,
      );
    });
    const tok = HfTokenizer.fromJson(JSON.parse(new TextDecoder().decode(bytes)), path);
    const meta = await tokenizeDataset(ctx.inputs.dataset, tok, ctx.outDir, {
      maxLength: p.max_length,
      truncation: p.truncation,
      tokenizerSource: { source: `${p.tokenizer.kind}`, sha256: sha256Hex(bytes) },
      progress: ctx.progress,
      signal: ctx.signal,
    });
    ctx.log(`tokenized ${meta.task} at max_length ${meta.maxLength} (pad id ${meta.padId})`);
  },
});

export default stage;
