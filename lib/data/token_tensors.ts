/**
 * Tokenized splits on disk: per split, int32 little-endian raw files `<split>.input_ids.bin`,
 * `<split>.attention_mask.bin`, `<split>.token_type_ids.bin` (each `rows × maxLength`,
 * row-major, right-padded) and `<split>.labels.bin` (`rows`), described by `<split>.json`
 * ({@link SplitHeader}); `tokens.json` ({@link TokensMeta}) describes the whole artifact.
 *
 * @module
 */
import { join } from "node:path";

/** The tensor files of one split. */
export const TENSOR_NAMES = ["input_ids", "attention_mask", "token_type_ids", "labels"] as const;

/** `<split>.json`. */
export interface SplitHeader {
  split: string;
  rows: number;
  maxLength: number;
  /** Shape of input_ids / attention_mask / token_type_ids. */
  shape: [number, number];
  dtype: "int32";
  byteOrder: "little";
  /** File name of each tensor. */
  files: Record<(typeof TENSOR_NAMES)[number], string>;
  /** Rows whose text was cut to fit `maxLength`. */
  truncatedRows: number;
  /** Unpadded lengths: mean and max. */
  meanLength: number;
  maxTokens: number;
}

/** `tokens.json`. */
export interface TokensMeta {
  task: string;
  splits: string[];
  maxLength: number;
  truncation: string;
  padId: number;
  vocabSize: number;
  labelNames: string[];
  metrics: string[];
  primaryMetric: string;
  pair: boolean;
  /** The dataset's evaluation policy record. */
  policy: unknown;
  tokenizer: { source: string; sha256: string };
}

/** One split, loaded. */
export interface TokenTensors {
  header: SplitHeader;
  rows: number;
  maxLength: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  labels: Int32Array;
}

const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Encodes an Int32Array as little-endian bytes. */
export function int32ToLE(a: Int32Array): Uint8Array {
  if (LITTLE) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  a.forEach((v, i) => dv.setInt32(i * 4, v, true));
  return out;
}

function int32FromLE(bytes: Uint8Array, path: string, expected: number): Int32Array {
  if (bytes.byteLength !== expected * 4) {
    throw new Error(
      `${path}: ${bytes.byteLength} bytes, expected ${expected * 4} (${expected} int32 values)`,
    );
  }
  if (LITTLE) {
    const copy = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    return new Int32Array(copy.buffer, copy.byteOffset, expected);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int32Array.from({ length: expected }, (_, i) => dv.getInt32(i * 4, true));
}

/** Reads `tokens.json` of a tokenized artifact. */
export async function readTokensMeta(dir: string): Promise<TokensMeta> {
  const path = join(dir, "tokens.json");
  try {
    return JSON.parse(await Deno.readTextFile(path)) as TokensMeta;
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
}

/** Loads one split (`train`, `select`, `report`) of a tokenized artifact into typed arrays. */
export async function readTokenTensors(dir: string, split: string): Promise<TokenTensors> {
  const hpath = join(dir, `${split}.json`);
  let header: SplitHeader;
  try {
    header = JSON.parse(await Deno.readTextFile(hpath));
  } catch (e) {
    throw new Error(`${hpath}: cannot read the split header: ${(e as Error).message}`);
  }
  const n = header.rows * header.maxLength;
  const load = async (name: (typeof TENSOR_NAMES)[number], count: number) => {
    const path = join(dir, header.files[name]);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      throw new Error(`${path}: cannot read: ${(e as Error).message}`);
    }
    return int32FromLE(bytes, path, count);
  };
  return {
    header,
    rows: header.rows,
    maxLength: header.maxLength,
    inputIds: await load("input_ids", n),
    attentionMask: await load("attention_mask", n),
    tokenTypeIds: await load("token_type_ids", n),
    labels: await load("labels", header.rows),
  };
}
