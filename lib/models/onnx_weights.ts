/**
 * A minimal reader of ONNX protobufs: the initializers of a ModelProto (`.onnx`) and single
 * TensorProtos (`input_N.pb` files of a test data set). Only what the oracle fixtures need: float32,
 * int32 and int64 tensors, raw or typed data, stored inside the file.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** A decoded tensor. int64 values are converted to numbers (exact below 2^53). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  /** ONNX TensorProto.DataType: 1 float, 6 int32, 7 int64, 9 bool. */
  dataType: number;
  data: Float32Array | Int32Array | Float64Array;
}

class Reader {
  pos: number;
  readonly buf: Uint8Array;
  readonly end: number;
  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  }
  /** A signed int64 varint (two's complement over 64 bits), as a number. */
  svarint64(): number {
    const v = this.varint();
    return v >= 2 ** 63 ? v - 2 ** 64 : v;
  }
  /** Iterates (field, wireType, valueStart, valueEnd) over a message. */
  *fields(): Generator<{ field: number; wire: number; start: number; end: number; v: number }> {
    while (this.pos < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      let start = this.pos, end = this.pos, v = 0;
      if (wire === 0) {
        v = this.varint();
        end = this.pos;
      } else if (wire === 1) {
        this.pos += 8;
        end = this.pos;
      } else if (wire === 2) {
        const len = this.varint();
        start = this.pos;
        end = this.pos + len;
        this.pos = end;
      } else if (wire === 5) {
        this.pos += 4;
        end = this.pos;
      } else {
        throw new Error(`protobuf: unsupported wire type ${wire} at byte ${this.pos}`);
      }
      yield { field, wire, start, end, v };
    }
  }
}

function packedVarints(buf: Uint8Array, start: number, end: number): number[] {
  const r = new Reader(buf, start, end);
  const out: number[] = [];
  while (r.pos < end) out.push(r.svarint64());
  return out;
}

/** Decodes one TensorProto from `buf[start, end)`. */
export function decodeTensor(buf: Uint8Array, start = 0, end = buf.length): OnnxTensor {
  const r = new Reader(buf, start, end);
  const dims: number[] = [];
  let dataType = 0, name = "";
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  for (const f of r.fields()) {
    if (f.field === 1) {
      if (f.wire === 2) dims.push(...packedVarints(buf, f.start, f.end));
      else dims.push(f.v);
    } else if (f.field === 2) dataType = f.v;
    else if (f.field === 8) name = new TextDecoder().decode(buf.subarray(f.start, f.end));
    else if (f.field === 9) raw = buf.slice(f.start, f.end);
    else if (f.field === 4) {
      const dv = new DataView(buf.buffer, buf.byteOffset + f.start, f.end - f.start);
      for (let i = 0; i < dv.byteLength; i += 4) floats.push(dv.getFloat32(i, true));
    } else if (f.field === 5 || f.field === 7) {
      if (f.wire === 2) ints.push(...packedVarints(buf, f.start, f.end));
      else ints.push(f.v >= 2 ** 63 ? f.v - 2 ** 64 : f.v);
    } else if (f.field === 14 && f.v === 1) {
      throw new Error(`ONNX tensor "${name}": external data is not supported by this reader`);
    }
  }
  const n = dims.reduce((a, b) => a * b, 1);
  let data: Float32Array | Int32Array | Float64Array;
  if (dataType === 1) {
    data = raw ? new Float32Array(raw.buffer, 0, n) : Float32Array.from(floats);
  } else if (dataType === 6) {
    data = raw ? new Int32Array(raw.buffer, 0, n) : Int32Array.from(ints);
  } else if (dataType === 7 || dataType === 9) {
    if (raw) {
      const out = new Float64Array(n);
      const dv = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) {
        out[i] = dataType === 9 ? raw[i] : Number(dv.getBigInt64(i * 8, true));
      }
      data = out;
    } else data = Float64Array.from(ints);
  } else {
    throw new Error(`ONNX tensor "${name}": data type ${dataType} is not supported`);
  }
  return { name, dims, dataType, data };
}

/** Reads a `.pb` file holding one TensorProto. */
export function readTensorProto(path: string): OnnxTensor {
  return decodeTensor(new Uint8Array(readFileSync(path)));
}

/** Reads every initializer of an `.onnx` model (ModelProto.graph.initializer), by name. */
export function readOnnxInitializers(path: string): Map<string, OnnxTensor> {
  const buf = new Uint8Array(readFileSync(path));
  const out = new Map<string, OnnxTensor>();
  for (const f of new Reader(buf).fields()) {
    if (f.field !== 7 || f.wire !== 2) continue; // ModelProto.graph
    for (const g of new Reader(buf, f.start, f.end).fields()) {
      if (g.field === 5 && g.wire === 2) { // GraphProto.initializer
        const t = decodeTensor(buf, g.start, g.end);
        out.set(t.name, t);
      }
    }
  }
  if (out.size === 0) throw new Error(`${path}: no initializers found (not an ONNX model?)`);
  return out;
}
