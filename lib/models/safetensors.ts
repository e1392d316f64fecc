/**
 * A streaming reader for the safetensors format, and its conversion into the project's
 * weights file.
 *
 * Format: 8 bytes little-endian u64 header length N, N bytes of JSON
 * (`name → {dtype, shape, data_offsets: [begin, end]}` plus an optional `__metadata__`),
 * then the data; offsets are relative to the byte after the header. Tensors are read by
 * byte range in bounded chunks, so a 1.4 GB checkpoint never sits in one JS buffer.
 * F32, F16 and BF16 tensors are read as float32.
 *
 * @module
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import { join } from "node:path";
import type { EncoderConfig } from "./config.ts";
import {
  canonicalName,
  encoderParams,
  mlmHeadParams,
  numel,
  type ParamSpec,
  seqClsHeadParams,
} from "./params.ts";
import { readFully, type WeightsIndex, WeightsWriter } from "./weights_file.ts";

/** One tensor's location in a safetensors file (absolute byte offsets). */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** Reads and validates the header of a safetensors file. */
export function readSafetensorsHeader(path: string): SafetensorsEntry[] {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new Error(`${path}: not a safetensors file (${size} bytes)`);
    const lenBuf = new Uint8Array(8);
    readFully(fd, lenBuf, 0);
    const n = Number(new DataView(lenBuf.buffer).getBigUint64(0, true));
    if (n <= 0 || n > 100_000_000 || 8 + n > size) {
      throw new Error(`${path}: header length ${n} is not plausible for a ${size}-byte file`);
    }
    const hdr = new Uint8Array(n);
    readFully(fd, hdr, 8);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(new TextDecoder().decode(hdr));
    } catch (e) {
      throw new Error(`${path}: header is not valid JSON (${(e as Error).message})`);
    }
    const base = 8 + n;
    const out: SafetensorsEntry[] = [];
    for (const [name, v] of Object.entries(json)) {
      if (name === "__metadata__") continue;
      const e = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
      if (!e || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
        throw new Error(`${path}: tensor "${name}": expected {dtype, shape, data_offsets}`);
      }
      const [b, en] = e.data_offsets;
      if (!(b >= 0 && en >= b && base + en <= size)) {
        throw new Error(`${path}: tensor "${name}": data_offsets [${b}, ${en}] outside the file`);
      }
      const width = DTYPE_BYTES[e.dtype];
      if (width !== undefined && en - b !== numel(e.shape) * width) {
        throw new Error(
          `${path}: tensor "${name}": ${en - b} bytes for ${e.dtype} shape [${e.shape}]`,
        );
      }
      out.push({ name, dtype: e.dtype, shape: e.shape, begin: base + b, end: base + en });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * Yields a tensor as float32 chunks of at most `chunkElems` elements, converting F16/BF16.
 * `fd` is an open descriptor of the safetensors file.
 */
export function* readTensorChunks(
  fd: number,
  e: SafetensorsEntry,
  chunkElems = 1 << 20,
  path = "safetensors",
): Generator<Float32Array> {
  const width = DTYPE_BYTES[e.dtype];
  if (width === undefined) {
    throw new Error(`${path}: tensor "${e.name}": dtype ${e.dtype} (expected F32, F16 or BF16)`);
  }
  const total = (e.end - e.begin) / width;
  for (let start = 0; start < total; start += chunkElems) {
    const n = Math.min(chunkElems, total - start);
    const bytes = new Uint8Array(n * width);
    readFully(fd, bytes, e.begin + start * width);
    if (e.dtype === "F32") {
      yield new Float32Array(bytes.buffer);
      continue;
    }
    const u16 = new Uint16Array(bytes.buffer);
    const out = new Float32Array(n);
    if (e.dtype === "BF16") {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = u16[i] << 16;
    } else {
      for (let i = 0; i < n; i++) out[i] = f16ToF32(u16[i]);
    }
    yield out;
  }
}

/** Transposes a row-major [rows, cols] matrix. */
export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[base + c];
  }
  return out;
}

/** The parameters a converted checkpoint must or may contain, by canonical name. */
function expectedParams(c: EncoderConfig): Map<string, ParamSpec> {
  const m = new Map<string, ParamSpec>();
  for (const s of encoderParams(c, true)) m.set(s.name, s);
  for (const s of seqClsHeadParams(c, c.numLabels)) m.set(s.name, s);
  for (const s of mlmHeadParams(c)) m.set(s.name, s);
  return m;
}

/** Parameters without which the encoder cannot run (the pooler and heads are optional). */
function requiredParams(c: EncoderConfig): string[] {
  return encoderParams(c, false).map((s) => s.name);
}

/**
 * Converts a safetensors checkpoint into `<outDir>/weights.bin` + `weights.json`:
 * canonical names, float32, Linear weights transposed to `[in, out]`. Tensors the encoder
 * does not use are skipped and listed in the returned `skipped`. Checks every shape against
 * the config and fails naming the tensor before writing anything final.
 */
export function convertSafetensors(
  path: string,
  outDir: string,
  config: EncoderConfig,
): { index: WeightsIndex; skipped: string[] } {
  const entries = readSafetensorsHeader(path);
  const expected = expectedParams(config);
  const chosen: { e: SafetensorsEntry; spec: ParamSpec }[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const name = canonicalName(e.name);
    const spec = name === null ? undefined : expected.get(name);
    if (!spec) {
      skipped.push(e.name);
      continue;
    }
    const hfShape = spec.kind === "linear" ? [spec.shape[1], spec.shape[0]] : spec.shape;
    if (e.shape.join(",") !== hfShape.join(",")) {
      // A classifier with another label count is not an error: the export stage re-initialises it.
      if (name!.startsWith("classifier")) {
        skipped.push(e.name);
        continue;
      }
      throw new Error(
        `${path}: tensor "${e.name}" has shape [${e.shape}], config.json implies [${hfShape}]`,
      );
    }
    if (seen.has(spec.name)) throw new Error(`${path}: two tensors map to "${spec.name}"`);
    seen.add(spec.name);
    chosen.push({ e, spec });
  }
  const missing = requiredParams(config).filter((n) => !seen.has(n));
  if (missing.length) {
    throw new Error(
      `${path}: missing ${missing.length} encoder tensor(s), e.g. "${missing[0]}" ` +
        `(HF name "${config.family}.${missing[0]}")`,
    );
  }
  // A classification head is only usable when complete.
  const head = seqClsHeadParams(config, config.numLabels).map((s) => s.name);
  if (!head.every((n) => seen.has(n))) {
    for (let i = chosen.length - 1; i >= 0; i--) {
      if (head.includes(chosen[i].spec.name)) {
        skipped.push(chosen[i].e.name);
        chosen.splice(i, 1);
      }
    }
  }
  const writer = new WeightsWriter(outDir);
  try {
    const fd = openSync(path, "r");
    try {
      for (const { e, spec } of chosen) writeOne(writer, fd, e, spec, path);
    } finally {
      closeSync(fd);
    }
    return { index: writer.finish(), skipped };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

function writeOne(
  writer: WeightsWriter,
  fd: number,
  e: SafetensorsEntry,
  spec: ParamSpec,
  path: string,
): void {
  if (spec.kind !== "linear") {
    writer.add(spec.name, spec.shape, readTensorChunks(fd, e, 1 << 20, path));
    return;
  }
  const whole = new Float32Array(numel(spec.shape));
  let off = 0;
  for (const c of readTensorChunks(fd, e, 1 << 20, path)) {
    whole.set(c, off);
    off += c.length;
  }
  writer.add(spec.name, spec.shape, transpose2d(whole, e.shape[0], e.shape[1]));
}

/** Path helper: `<dir>/model.safetensors`. */
export function safetensorsPath(dir: string): string {
  return join(dir, "model.safetensors");
}
