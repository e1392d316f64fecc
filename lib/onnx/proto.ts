/**
 * A minimal protocol-buffers writer: just enough wire format (varints, fixed32,
 * length-delimited fields) to encode ONNX ModelProto and its parts.
 *
 * @module
 */

/** Appends protobuf fields to a growable byte buffer. */
export class ProtoWriter {
  #buf: Uint8Array = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #varint(v: bigint | number): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.#reserve(10);
    while (x >= 0x80n) {
      this.#buf[this.#len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.#buf[this.#len++] = Number(x);
  }

  #smallVarint(v: number): void {
    if (v < 0 || v > 0x7fffffff) return this.#varint(v);
    this.#reserve(5);
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.#buf[this.#len++] = v;
  }

  #tag(field: number, wire: number): void {
    this.#smallVarint((field << 3) | wire);
  }

  /** A varint field (int32/int64/enum/bool). */
  int(field: number, v: number | bigint): this {
    this.#tag(field, 0);
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff) {
      this.#smallVarint(v);
    } else this.#varint(v);
    return this;
  }

  /** A 32-bit float field (wire type 5). */
  float(field: number, v: number): this {
    this.#tag(field, 5);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#len, v, true);
    this.#len += 4;
    return this;
  }

  /** A length-delimited bytes field. */
  bytes(field: number, data: Uint8Array): this {
    this.#tag(field, 2);
    this.#smallVarint(data.length);
    this.#reserve(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  /** An embedded message field, written by `fn` into a nested writer. */
  message(field: number, fn: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    fn(w);
    return this.bytes(field, w.finish());
  }

  /** A packed repeated varint field. */
  packedInts(field: number, values: ArrayLike<number | bigint>): this {
    const w = new ProtoWriter();
    for (let i = 0; i < values.length; i++) w.#varint(values[i]);
    return this.bytes(field, w.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const data = new Uint8Array(values.length * 4);
    const dv = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
    return this.bytes(field, data);
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}
