/**
 * Hugging Face `tokenizer.json` tokenization, identical to the Rust `tokenizers` library for
 * BERT WordPiece and RoBERTa byte-level BPE, sentence pairs and truncation.
 *
 * `@huggingface/tokenizers` 0.2.0 does normalization, pre-tokenization and the model (WordPiece,
 * BPE) right, and this module uses it for exactly that: each text is encoded without special
 * tokens. Truncation and the post-processor (special tokens and token type ids) are done here,
 * from the `post_processor` section of tokenizer.json, because the library
 *
 * - has no truncation at all (Rust: `longest_first`, `only_first`, `only_second`, counting the
 *   special tokens the post-processor will add);
 * - treats an empty second text (`""`) as "no pair", dropping its separator tokens (Rust keeps
 *   them: `[CLS] a [SEP] [SEP]`);
 * - gives the second sequence token type 1 under `RobertaProcessing`, where Rust gives 0 to
 *   every token (RoBERTa has a single token type);
 * - maps post-processor special tokens back to ids through the vocabulary instead of the ids the
 *   template declares.
 *
 * @module
 */
import { Tokenizer } from "@huggingface/tokenizers";

/** How a too-long input is cut, as in Hugging Face's `TruncationStrategy`. */
export type TruncationStrategy = "longest_first" | "only_first" | "only_second";

/** Options of {@link HfTokenizer.encode}. */
export interface EncodeOptions {
  /** Add the post-processor's special tokens (`[CLS]`, `[SEP]`, `<s>`…). Default true. */
  addSpecialTokens?: boolean;
  /** Cut the result to at most this many tokens, special tokens included. */
  maxLength?: number;
  /** Default `longest_first`. */
  truncation?: TruncationStrategy;
}

/** One encoded input, unpadded. */
export interface Encoded {
  ids: number[];
  typeIds: number[];
  attentionMask: number[];
  tokens: string[];
  /** 1 for a token the post-processor added. */
  specialTokensMask: number[];
}

/** A post-processor template: pieces in order. */
type Piece =
  | { special: true; ids: number[]; tokens: string[]; typeId: number }
  | { special: false; seq: "A" | "B"; typeId: number };

interface Templates {
  single: Piece[];
  pair: Piece[];
}

/** Raised for a tokenizer.json this module cannot read. */
export class TokenizerConfigError extends Error {
  constructor(source: string, detail: string) {
    super(`${source}: ${detail}`);
    this.name = "TokenizerConfigError";
  }
}

// deno-lint-ignore no-explicit-any
type AnyJson = any; // tokenizer.json is a boundary: validated field by field below

function specialPiece(
  source: string,
  token: string,
  id: unknown,
  typeId: number,
): Piece {
  if (typeof id !== "number") {
    throw new TokenizerConfigError(source, `post_processor: special token ${token} has no id`);
  }
  return { special: true, ids: [id], tokens: [token], typeId };
}

/** Reads the post-processor section into single / pair templates (Rust semantics). */
function readTemplates(source: string, pp: AnyJson): Templates {
  if (pp === null || pp === undefined) {
    return {
      single: [{ special: false, seq: "A", typeId: 0 }],
      pair: [{ special: false, seq: "A", typeId: 0 }, { special: false, seq: "B", typeId: 1 }],
    };
  }
  switch (pp.type) {
    case "TemplateProcessing": {
      const specials = pp.special_tokens ?? {};
      const conv = (items: AnyJson[], which: string): Piece[] =>
        (items ?? []).map((item: AnyJson) => {
          if (item.SpecialToken) {
            const sp = specials[item.SpecialToken.id];
            if (!sp || !Array.isArray(sp.ids)) {
              throw new TokenizerConfigError(
                source,
                `post_processor.${which}: special token ${item.SpecialToken.id} is not declared ` +
                  `in post_processor.special_tokens`,
              );
            }
            return {
              special: true,
              ids: sp.ids as number[],
              tokens: sp.tokens as string[],
              typeId: item.SpecialToken.type_id ?? 0,
            };
          }
          if (item.Sequence) {
            return { special: false, seq: item.Sequence.id, typeId: item.Sequence.type_id ?? 0 };
          }
          throw new TokenizerConfigError(source, `post_processor.${which}: unknown template item`);
        });
      return { single: conv(pp.single, "single"), pair: conv(pp.pair, "pair") };
    }
    case "BertProcessing": {
      const cls = specialPiece(source, pp.cls[0], pp.cls[1], 0);
      const sep0 = specialPiece(source, pp.sep[0], pp.sep[1], 0);
      const sep1 = specialPiece(source, pp.sep[0], pp.sep[1], 1);
      return {
        single: [cls, { special: false, seq: "A", typeId: 0 }, sep0],
        pair: [cls, { special: false, seq: "A", typeId: 0 }, sep0, {
          special: false,
          seq: "B",
          typeId: 1,
        }, sep1],
      };
    }
    case "RobertaProcessing": {
      const cls = specialPiece(source, pp.cls[0], pp.cls[1], 0);
      const sep = specialPiece(source, pp.sep[0], pp.sep[1], 0);
      return {
        single: [cls, { special: false, seq: "A", typeId: 0 }, sep],
        pair: [cls, { special: false, seq: "A", typeId: 0 }, sep, sep, {
          special: false,
          seq: "B",
          typeId: 0,
        }, sep],
      };
    }
    case "ByteLevel": // only adjusts offsets
      return readTemplates(source, null);
    case "Sequence": {
      // Offsets-only processors (ByteLevel) compose with at most one that adds tokens.
      const adding = (pp.processors ?? []).filter((p: AnyJson) => p.type !== "ByteLevel");
      if (adding.length > 1) {
        throw new TokenizerConfigError(
          source,
          "post_processor: a Sequence with several token-adding processors is not supported",
        );
      }
      return readTemplates(source, adding[0] ?? null);
    }
    default:
      throw new TokenizerConfigError(
        source,
        `post_processor type ${JSON.stringify(pp.type)} is not supported ` +
          `(expected TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel or Sequence)`,
      );
  }
}

function addedCount(t: Piece[]): number {
  return t.reduce((n, p) => n + (p.special ? p.ids.length : 0), 0);
}

/**
 * Lengths (n1, n2) the two sequences keep, as Rust `tokenizers`' `truncate_encodings` computes
 * them for a budget of `max` non-special tokens. `n2` is undefined for a single sequence.
 */
export function truncatedLengths(
  len1: number,
  len2: number | undefined,
  max: number,
  strategy: TruncationStrategy,
): [number, number | undefined] {
  const total = len1 + (len2 ?? 0);
  if (total <= max) return [len1, len2];
  const toRemove = total - max;
  if (len2 === undefined) {
    if (strategy === "only_second") {
      throw new Error(`truncation only_second needs a sentence pair`);
    }
    return [Math.max(0, len1 - toRemove), undefined];
  }
  if (strategy === "longest_first") {
    let n1 = len1;
    let n2 = len2;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > max ? n1 : Math.max(n1, max - n1);
    if (n1 + n2 > max) {
      n1 = Math.floor(max / 2);
      n2 = n1 + (max % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    return [Math.min(n1, len1), Math.min(n2, len2)];
  }
  const [cut, keep] = strategy === "only_first" ? [len1, len2] : [len2, len1];
  if (cut <= toRemove) {
    throw new Error(
      `truncation ${strategy}: the ${
        strategy === "only_first" ? "first" : "second"
      } sequence has ${cut} tokens, fewer than the ${toRemove} to remove`,
    );
  }
  return strategy === "only_first" ? [cut - toRemove, keep] : [keep, cut - toRemove];
}

/** A tokenizer loaded from a Hugging Face `tokenizer.json`. */
export class HfTokenizer {
  /** Where it came from (a path), for messages. */
  readonly source: string;
  /** The tokenizer.json content. */
  readonly json: Readonly<Record<string, unknown>>;
  private readonly inner: Tokenizer;
  private readonly templates: Templates;
  private readonly vocab: Map<string, number>;

  private constructor(json: AnyJson, source: string) {
    this.source = source;
    this.json = json;
    if (typeof json !== "object" || json === null || typeof json.model !== "object") {
      throw new TokenizerConfigError(source, "not a tokenizer.json (no `model` section)");
    }
    try {
      this.inner = new Tokenizer(json, {});
    } catch (e) {
      throw new TokenizerConfigError(source, `cannot build the tokenizer: ${(e as Error).message}`);
    }
    this.templates = readTemplates(source, json.post_processor);
    this.vocab = this.inner.get_vocab(true);
  }

  /** Builds a tokenizer from parsed tokenizer.json content. */
  static fromJson(json: unknown, source = "tokenizer.json"): HfTokenizer {
    return new HfTokenizer(json, source);
  }

  /** Reads a tokenizer.json file. */
  static async fromFile(path: string): Promise<HfTokenizer> {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new TokenizerConfigError(path, `cannot read: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new TokenizerConfigError(path, `invalid JSON: ${(e as Error).message}`);
    }
    return new HfTokenizer(json, path);
  }

  /** Vocabulary size including added tokens (max id + 1). */
  get vocabSize(): number {
    let max = -1;
    for (const id of this.vocab.values()) if (id > max) max = id;
    return max + 1;
  }

  /** Id of a token, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** The padding id: tokenizer.json's `padding.pad_id`, else `[PAD]` or `<pad>`, else 0. */
  get padId(): number {
    // deno-lint-ignore no-explicit-any
    const padding = (this.json as any).padding;
    if (padding && typeof padding.pad_id === "number") return padding.pad_id;
    return this.vocab.get("[PAD]") ?? this.vocab.get("<pad>") ?? 0;
  }

  /** How many special tokens the post-processor adds to a single text or a pair. */
  numSpecialTokens(pair: boolean): number {
    return addedCount(pair ? this.templates.pair : this.templates.single);
  }

  /** Tokens and ids of one text, no special tokens, no truncation. */
  encodeText(text: string): { ids: number[]; tokens: string[] } {
    const e = this.inner.encode(text, { add_special_tokens: false });
    return { ids: e.ids, tokens: e.tokens };
  }

  /**
   * Encodes a text or a pair like Hugging Face `tokenizer(text, pair, truncation=..., max_length=...)`:
   * each text is tokenized alone, the pair is truncated to `maxLength` minus the special tokens,
   * then the post-processor template adds special tokens and token type ids.
   */
  encode(text: string, pair?: string | null, options: EncodeOptions = {}): Encoded {
    const add = options.addSpecialTokens ?? true;
    const isPair = pair !== undefined && pair !== null;
    const a = this.encodeText(text);
    const b = isPair ? this.encodeText(pair) : undefined;
    const template = isPair ? this.templates.pair : this.templates.single;
    if (options.maxLength !== undefined) {
      const budget = options.maxLength - (add ? addedCount(template) : 0);
      if (budget < 0) {
        throw new Error(
          `maxLength ${options.maxLength} is smaller than the ${addedCount(template)} special ` +
            `tokens of ${this.source}`,
        );
      }
      const [n1, n2] = truncatedLengths(
        a.ids.length,
        b?.ids.length,
        budget,
        options.truncation ?? "longest_first",
      );
      a.ids.length = n1;
      a.tokens.length = n1;
      if (b && n2 !== undefined) {
        b.ids.length = n2;
        b.tokens.length = n2;
      }
    }
    const out: Encoded = {
      ids: [],
      typeIds: [],
      attentionMask: [],
      tokens: [],
      specialTokensMask: [],
    };
    for (const piece of template) {
      if (piece.special) {
        if (!add) continue;
        for (let i = 0; i < piece.ids.length; i++) {
          out.ids.push(piece.ids[i]);
          out.tokens.push(piece.tokens[i]);
          out.typeIds.push(piece.typeId);
          out.specialTokensMask.push(1);
        }
      } else {
        const seq = piece.seq === "A" ? a : b;
        if (!seq) continue;
        for (let i = 0; i < seq.ids.length; i++) {
          out.ids.push(seq.ids[i]);
          out.tokens.push(seq.tokens[i]);
          out.typeIds.push(piece.typeId);
          out.specialTokensMask.push(0);
        }
      }
    }
    out.attentionMask = out.ids.map(() => 1);
    return out;
  }
}
