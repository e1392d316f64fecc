/**
 * Shared fixtures of the pretraining tests: a small restricted tokenizer built from the first
 * corpus sentences (fast), tiny run parameters, and a runner with silent hooks.
 */
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNlpCorpus } from "../../lib/data/embedded/nlp_corpus.ts";
import { type PretrainParams, pretrainParamsSchema } from "../../lib/pretrain/params.ts";
import { type PretrainManifest, runPretrain } from "../../lib/pretrain/run.ts";
import {
  embeddedBertTokenizerJson,
  restrictVocabulary,
} from "../../lib/text/embedded_tokenizer.ts";

/** Writes a 512-token tokenizer (from the first 3,000 corpus sentences) into `dir`. */
export async function writeSmallTokenizer(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const corpus = (await loadNlpCorpus()).slice(0, 3000).map((s) => s.text);
  const r = restrictVocabulary(await embeddedBertTokenizerJson(), corpus, 512);
  Deno.writeTextFileSync(join(dir, "tokenizer.json"), JSON.stringify(r.json));
  return dir;
}

/** Raw params of a tiny run (the test corpus is the first 3,000 sentences). */
export function tinyRaw(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "tiny",
    tokenizer: { kind: "embedded-tokenizer", params: { vocab_size: 512 } },
    max_sentences: 3000,
    hidden: 16,
    layers: 1,
    heads: 2,
    intermediate: 32,
    max_position: 32,
    batch: 8,
    seq: 32,
    lr: 3e-3,
    threads: 1,
    eval_sequences: 16,
    ...extra,
  };
}

/** Parses raw params. */
export function parse(raw: Record<string, unknown>): PretrainParams {
  return pretrainParamsSchema.parse(raw);
}

/** A fresh temp dir. */
export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `idim-pretrain-${tag}-`));
}

/** Runs one checkpoint into `<root>/<tag>` (scratch `<root>/<tag>-scratch`). */
export async function runTiny(
  root: string,
  tag: string,
  raw: Record<string, unknown>,
  tokenizer: string,
  opts: {
    from?: string;
    signal?: AbortSignal;
    onProgress?: (note?: string) => void;
    device?: string;
  } = {},
): Promise<{ dir: string; manifest: PretrainManifest }> {
  const dir = join(root, tag);
  mkdirSync(dir, { recursive: true });
  const manifest = await runPretrain(parse(raw), {
    tokenizer,
    from: opts.from,
    outDir: dir,
    scratchDir: `${dir}-scratch`,
  }, {
    log: () => {},
    progress: (_d, _t, note) => opts.onProgress?.(note),
    signal: opts.signal ?? new AbortController().signal,
    device: opts.device,
  });
  return { dir, manifest };
}

/** The bytes of a file. */
export function bytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}
