/**
 * The project's shared weights file: one `weights.bin` per model plus a `weights.json` index.
 *
 * `weights.bin` holds float32 little-endian tensors, each starting at a 64-byte-aligned
 * offset. `weights.json` maps canonical parameter name → `{dtype, shape, offset, length}`
 * (bytes). Every exported graph of the model references these byte ranges as ONNX external
 * data, so ONNX Runtime memory-maps θ0 once instead of copying it per graph or per step.
 * Linear weights are stored `[in, out]` (see `params.ts`).
 *
 * Writing goes to `weights.bin.partial` / `weights.json.partial` and renames on `finish()`,
 * so a crash never leaves a half-written weights file under the final name.
 *
 * @module
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { numel } from "./params.ts";

/** The file names inside a model directory. */
export const WEIGHTS_BIN = "weights.bin";
export const WEIGHTS_JSON = "weights.json";
/** Byte alignment of every tensor's start. */
export const WEIGHTS_ALIGN = 64;

/** One tensor in the index. */
export interface WeightsEntry {
  dtype: "float32";
  shape: number[];
  /** Byte offset in `weights.bin`. */
  offset: number;
  /** Byte length. */
  length: number;
}

/** The `weights.json` index. */
export interface WeightsIndex {
  format: "idim-weights/1";
  file: string;
  alignment: number;
  /** "Linear weights are [in, out]" — the layout convention, stated in the file itself. */
  layout: string;
  tensors: Record<string, WeightsEntry>;
}

/** Streams tensors into a new weights file. */
export class WeightsWriter {
  readonly dir: string;
  #fd: number;
  #pos = 0;
  #tensors: Record<string, WeightsEntry> = {};
  #closed = false;

  /** Opens `<dir>/weights.bin.partial` for writing. */
  constructor(dir: string) {
    this.dir = dir;
    this.#fd = openSync(join(dir, WEIGHTS_BIN + ".partial"), "w");
  }

  /**
   * Appends one tensor. `data` is the whole tensor or an iterable of consecutive chunks whose
   * lengths sum to the shape's element count.
   */
  add(name: string, shape: number[], data: Float32Array | Iterable<Float32Array>): void {
    if (this.#tensors[name]) throw new Error(`weights file: tensor "${name}" written twice`);
    const pad = (WEIGHTS_ALIGN - (this.#pos % WEIGHTS_ALIGN)) % WEIGHTS_ALIGN;
    if (pad) this.#write(new Uint8Array(pad));
    const offset = this.#pos;
    const chunks = data instanceof Float32Array ? [data] : data;
    let n = 0;
    for (const c of chunks) {
      this.#write(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
      n += c.length;
    }
    if (n !== numel(shape)) {
      throw new Error(
        `weights file: tensor "${name}" has ${n} values, shape [${shape}] needs ${numel(shape)}`,
      );
    }
    this.#tensors[name] = { dtype: "float32", shape: [...shape], offset, length: n * 4 };
  }

  #write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      off += writeSync(this.#fd, bytes, off, bytes.length - off, this.#pos + off);
    }
    this.#pos += bytes.length;
  }

  /** Closes the file, writes the index and renames both into place. Returns the index. */
  finish(): WeightsIndex {
    closeSync(this.#fd);
    this.#closed = true;
    const index: WeightsIndex = {
      format: "idim-weights/1",
      file: WEIGHTS_BIN,
      alignment: WEIGHTS_ALIGN,
      layout: "float32 little-endian; Linear weights [in, out] (HF [out, in] transposed)",
      tensors: this.#tensors,
    };
    writeFileSync(join(this.dir, WEIGHTS_JSON + ".partial"), JSON.stringify(index, null, 1));
    renameSync(join(this.dir, WEIGHTS_BIN + ".partial"), join(this.dir, WEIGHTS_BIN));
    renameSync(join(this.dir, WEIGHTS_JSON + ".partial"), join(this.dir, WEIGHTS_JSON));
    return index;
  }

  /** Closes and deletes the partial file (after an error). */
  abort(): void {
    if (!this.#closed) closeSync(this.#fd);
    this.#closed = true;
    rmSync(join(this.dir, WEIGHTS_BIN + ".partial"), { force: true });
    rmSync(join(this.dir, WEIGHTS_JSON + ".partial"), { force: true });
  }
}

/** Reads `<dir>/weights.json`, checking that every range lies inside `weights.bin`. */
export function readWeightsIndex(dir: string): WeightsIndex {
  const path = join(dir, WEIGHTS_JSON);
  if (!existsSync(path)) throw new Error(`${path}: missing (no converted weights in ${dir})`);
  const index = JSON.parse(readFileSync(path, "utf8")) as WeightsIndex;
  if (index.format !== "idim-weights/1") {
    throw new Error(`${path}: key "format": expected "idim-weights/1", got "${index.format}"`);
  }
  const binPath = join(dir, index.file);
  const fd = openSync(binPath, "r");
  const size = fstatSync(fd).size;
  closeSync(fd);
  for (const [name, e] of Object.entries(index.tensors)) {
    if (e.offset + e.length > size || e.length !== numel(e.shape) * 4) {
      throw new Error(`${path}: tensor "${name}" range does not fit ${binPath} (${size} bytes)`);
    }
  }
  return index;
}

/** Reads one tensor of a weights file into memory (for tests and small tensors). */
export function readWeightsTensor(dir: string, index: WeightsIndex, name: string): Float32Array {
  const e = index.tensors[name];
  if (!e) throw new Error(`${join(dir, WEIGHTS_JSON)}: no tensor "${name}"`);
  const out = new Float32Array(e.length / 4);
  const fd = openSync(join(dir, index.file), "r");
  try {
    readFully(fd, new Uint8Array(out.buffer), e.offset);
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Reads exactly `buf.length` bytes at `position`, or throws at end of file. */
export function readFully(fd: number, buf: Uint8Array, position: number): void {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + off}`);
    off += n;
  }
}
