/**
 * Training checkpoints: named tensors (trainable and optimizer state) plus a JSON document
 * (step, data order, curves so far), in one file written atomically (temp file, fsync, rename),
 * so a kill at any moment leaves either the previous checkpoint or the new one, never a torn one.
 *
 * File layout: 8-byte magic `IDIMCKP1`, uint32 LE header length, UTF-8 JSON header, then the
 * tensor bytes, each tensor's data starting at an 8-byte aligned offset.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TypedArray } from "../onnx/mod.ts";

/** Element types a checkpoint can hold. */
export type TensorDType = "float32" | "int32" | "int64" | "float64";

/** A named tensor as a checkpoint stores it. */
export interface StateTensor {
  dtype: TensorDType;
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array | Float64Array;
}

/** Named tensors: trainable parameters and optimizer moments. */
export type TensorState = Record<string, StateTensor>;

/** A loaded checkpoint. */
export interface Checkpoint<M> {
  tensors: TensorState;
  meta: M;
}

const MAGIC = "IDIMCKP1";

function ctorFor(dtype: TensorDType) {
  switch (dtype) {
    case "float32":
      return Float32Array;
    case "int32":
      return Int32Array;
    case "int64":
      return BigInt64Array;
    case "float64":
      return Float64Array;
    default:
      throw new TypeError(`unknown checkpoint dtype ${dtype}`);
  }
}

interface Header<M> {
  meta: M;
  tensors: { name: string; dtype: TensorDType; dims: number[]; offset: number; length: number }[];
}

/** Writes `tensors` and `meta` to `file` atomically. */
export function writeCheckpoint<M>(file: string, tensors: TensorState, meta: M): void {
  const entries: Header<M>["tensors"] = [];
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name];
    offset = Math.ceil(offset / 8) * 8;
    entries.push({ name, dtype: t.dtype, dims: t.dims, offset, length: t.data.length });
    offset += t.data.byteLength;
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const pre = 8 + 4 + header.length;
  const base = Math.ceil(pre / 8) * 8;
  const buf = new Uint8Array(base + offset);
  buf.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(buf.buffer).setUint32(8, header.length, true);
  buf.set(header, 12);
  for (const e of entries) {
    const t = tensors[e.name];
    buf.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), base + e.offset);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${Deno.pid}`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, buf);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Reads a checkpoint written by `writeCheckpoint`; null if `file` does not exist. */
export function readCheckpoint<M>(file: string): Checkpoint<M> | null {
  if (!fs.existsSync(file)) return null;
  const buf = fs.readFileSync(file);
  const magic = new TextDecoder().decode(buf.subarray(0, 8));
  if (magic !== MAGIC) throw new Error(`${file}: not an idim checkpoint (bad magic "${magic}")`);
  const hlen = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + hlen))) as Header<M>;
  const base = Math.ceil((12 + hlen) / 8) * 8;
  const tensors: TensorState = {};
  for (const e of header.tensors) {
    const C = ctorFor(e.dtype);
    const bytes = e.length * C.BYTES_PER_ELEMENT;
    const start = base + e.offset;
    if (start + bytes > buf.length) throw new Error(`${file}: truncated at tensor ${e.name}`);
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(start, start + bytes));
    tensors[e.name] = { dtype: e.dtype, dims: e.dims, data: new C(copy.buffer) };
  }
  return { tensors, meta: header.meta };
}

/** A training session's state as the checkpoint needs it: its step and its carried tensors. */
export interface SessionState {
  step: number;
  tensors: Record<string, TypedArray>;
}

/** The name and shape of a tensor a training session carries from step to step. */
export interface CarriedTensor {
  input: string;
  shape: number[];
}

/** The checkpoint tensors of a session's state: every carried tensor plus `__step`. */
export function sessionStateTensors(
  carried: readonly CarriedTensor[],
  state: SessionState,
): TensorState {
  const out: TensorState = {};
  for (const c of carried) {
    out[c.input] = {
      dtype: "float32",
      dims: c.shape,
      data: state.tensors[c.input] as Float32Array,
    };
  }
  out.__step = { dtype: "float64", dims: [1], data: new Float64Array([state.step]) };
  return out;
}

/** The session state stored in checkpoint tensors; throws when a carried tensor or the step is missing. */
export function sessionStateOf(carried: readonly CarriedTensor[], s: TensorState): SessionState {
  const tensors: Record<string, TypedArray> = {};
  for (const c of carried) {
    const t = s[c.input];
    if (!t) throw new Error(`checkpoint has no tensor ${c.input}`);
    tensors[c.input] = t.data as TypedArray;
  }
  const step = Number((s.__step?.data as Float64Array | undefined)?.[0] ?? NaN);
  if (!Number.isInteger(step)) throw new Error("checkpoint has no step");
  return { step, tensors };
}

/**
 * Reads a checkpoint for resuming. One that cannot be loaded (truncated, garbled, not a
 * checkpoint) is renamed to `<file>.corrupt-<time>` with a warning through `log`, and the run
 * starts over (null), instead of every rerun failing on it. Null when there is none.
 */
export function loadCheckpointOrSetAside<M>(
  file: string,
  log: (message: string) => void,
): Checkpoint<M> | null {
  try {
    const ck = readCheckpoint<M>(file);
    if (ck && (ck.meta === null || typeof ck.meta !== "object")) {
      throw new Error(`${file}: checkpoint header has no meta object`);
    }
    return ck;
  } catch (e) {
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    try {
      fs.renameSync(file, aside);
    } catch (re) {
      throw new Error(
        `${file}: checkpoint cannot be loaded (${(e as Error).message}) nor set aside ` +
          `(${(re as Error).message})`,
      );
    }
    log(
      `warning: checkpoint ${file} cannot be loaded (${(e as Error).message}); ` +
        `set aside as ${path.basename(aside)}; starting over from step 0`,
    );
    return null;
  }
}
