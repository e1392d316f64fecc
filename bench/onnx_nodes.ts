/**
 * Counts the nodes of an ONNX model file's main graph (ModelProto.graph = field 7,
 * GraphProto.node = field 1) by walking the protobuf wire format, without decoding the nodes.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** Reads a varint at `pos`; returns [value, next position]. */
function varint(b: Uint8Array, pos: number): [number, number] {
  let v = 0, mul = 1;
  for (;;) {
    const x = b[pos++];
    v += (x & 0x7f) * mul;
    if (x < 0x80) return [v, pos];
    mul *= 128;
  }
}

/** Calls `each(field, start, end)` for every length-delimited field in b[start, end). */
function fields(
  b: Uint8Array,
  start: number,
  end: number,
  each: (f: number, s: number, e: number) => void,
) {
  let p = start;
  while (p < end) {
    const [tag, q] = varint(b, p);
    const field = Math.floor(tag / 8), wire = tag & 7;
    p = q;
    if (wire === 0) p = varint(b, p)[1];
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const [len, r] = varint(b, p);
      each(field, r, r + len);
      p = r + len;
    } else throw new Error(`onnx_nodes: unsupported wire type ${wire}`);
  }
}

/** The number of nodes in the main graph of the ONNX model at `path`. */
export function countNodes(path: string): number {
  const b = new Uint8Array(readFileSync(path));
  let n = 0;
  fields(b, 0, b.length, (f, s, e) => {
    if (f === 7) fields(b, s, e, (g) => g === 1 && n++);
  });
  return n;
}
