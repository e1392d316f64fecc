/**
 * Tokenizing a dataset artifact's role splits into fixed-length int32 tensors.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { HfTokenizer, TruncationStrategy } from "../text/mod.ts";
import { readJsonl, readTaskMeta, ROLE_SPLITS } from "./schema.ts";
import { int32ToLE, type SplitHeader, type TokensMeta } from "./token_tensors.ts";

/** Options of {@link tokenizeDataset}. */
export interface TokenizeOptions {
  maxLength: number;
  truncation?: TruncationStrategy;
  /** sha256 of the tokenizer.json bytes and where it came from, for tokens.json. */
  tokenizerSource: { source: string; sha256: string };
  progress?: (done: number, total: number, note?: string) => void;
  signal?: AbortSignal;
}

/** sha256 hex of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Reads `datasetDir` (meta.json + split JSONL files), tokenizes every row like Hugging Face
 * (`tokenizer(text_a, text_b, truncation=..., max_length=..., padding="max_length")`) and writes
 * tokens.json and per-split tensors (see lib/data/token_tensors.ts) into `outDir`.
 */
export async function tokenizeDataset(
  datasetDir: string,
  tok: HfTokenizer,
  outDir: string,
  o: TokenizeOptions,
): Promise<TokensMeta> {
  const meta = await readTaskMeta(datasetDir);
  const L = o.maxLength;
  const truncation = o.truncation ?? "longest_first";
  const splits = [];
  for (const s of ROLE_SPLITS) {
    const nLabels = meta.labelNames.length > 0 ? meta.labelNames.length : undefined;
    splits.push({ name: s, rows: await readJsonl(join(datasetDir, `${s}.jsonl`), nLabels) });
  }
  const total = splits.reduce((n, s) => n + s.rows.length, 0);
  let done = 0;
  const pad = tok.padId;
  const outputs: { header: SplitHeader; arrays: Record<string, Int32Array> }[] = [];
  for (const { name, rows } of splits) {
    const n = rows.length;
    const ids = new Int32Array(n * L).fill(pad);
    const mask = new Int32Array(n * L);
    const types = new Int32Array(n * L);
    const labels = new Int32Array(n);
    let truncated = 0, sumLen = 0, maxTokens = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const full = tok.encode(r.text_a, r.text_b ?? null);
      if (full.ids.length > L) truncated++;
      maxTokens = Math.max(maxTokens, full.ids.length);
      const e = full.ids.length > L
        ? tok.encode(r.text_a, r.text_b ?? null, { maxLength: L, truncation })
        : full;
      ids.set(e.ids, i * L);
      mask.set(e.attentionMask, i * L);
      types.set(e.typeIds, i * L);
      labels[i] = r.label;
      sumLen += e.ids.length;
      if (++done % 2000 === 0) {
        o.progress?.(done, total, name);
        if (o.signal?.aborted) throw new Error("tokenize: aborted");
      }
    }
    const files = {
      input_ids: `${name}.input_ids.bin`,
      attention_mask: `${name}.attention_mask.bin`,
      token_type_ids: `${name}.token_type_ids.bin`,
      labels: `${name}.labels.bin`,
    };
    outputs.push({
      header: {
        split: name,
        rows: n,
        maxLength: L,
        shape: [n, L],
        dtype: "int32",
        byteOrder: "little",
        files,
        truncatedRows: truncated,
        meanLength: n ? sumLen / n : 0,
        maxTokens,
      },
      arrays: { input_ids: ids, attention_mask: mask, token_type_ids: types, labels },
    });
  }
  // Write only after every row tokenized: a failure leaves nothing half-written.
  for (const { header, arrays } of outputs) {
    for (const [k, file] of Object.entries(header.files)) {
      await Deno.writeFile(join(outDir, file), int32ToLE(arrays[k]));
    }
    await Deno.writeTextFile(join(outDir, `${header.split}.json`), JSON.stringify(header, null, 2));
  }
  const tokensMeta: TokensMeta = {
    task: meta.task,
    splits: [...ROLE_SPLITS],
    maxLength: L,
    truncation,
    padId: pad,
    vocabSize: tok.vocabSize,
    labelNames: meta.labelNames,
    metrics: meta.metrics,
    primaryMetric: meta.primaryMetric,
    pair: meta.pair,
    policy: meta.policy,
    tokenizer: o.tokenizerSource,
  };
  await Deno.writeTextFile(join(outDir, "tokens.json"), JSON.stringify(tokensMeta, null, 2));
  o.progress?.(total, total);
  return tokensMeta;
}
