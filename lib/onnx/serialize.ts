/**
 * Serialize a {@link Graph} to ONNX ModelProto bytes (field numbers from onnx.proto),
 * keeping only the nodes and initializers the outputs need.
 *
 * @module
 */
import { DTYPE_CODE } from "./dtype.ts";
import {
  type Attr,
  type ConstData,
  type Graph,
  GraphError,
  type Initializer,
  isUnknown,
  type Node,
  type Tensor,
} from "./graph.ts";
import { ProtoWriter } from "./proto.ts";

/** Default IR version (ORT 1.30 accepts ≤ 13). */
export const IR_VERSION = 10;
/** Default opset of the ai.onnx domain (ORT 1.30 accepts ≤ 26). */
export const OPSET = 21;

/** Options of {@link toModelProto}. */
export interface SerializeOptions {
  irVersion?: number;
  opset?: number;
  /** Extra key/value pairs stored as ModelProto.metadata_props. */
  metadata?: Record<string, string>;
  /** Keep nodes no output needs (default false: they are pruned). */
  keepDead?: boolean;
}

function writeTensorData(w: ProtoWriter, name: string, c: ConstData | Initializer): void {
  const t = "tensor" in c ? c.tensor : undefined;
  const dtype = t ? t.dtype : (c as ConstData).dtype;
  const shape = t ? t.shape : (c as ConstData).shape;
  w.packedInts(1, shape.map((d) => d as number));
  w.int(2, DTYPE_CODE[dtype]);
  w.string(8, name);
  const ext = (c as Initializer).external;
  if (ext) {
    for (
      const [k, v] of [["location", ext.location], ["offset", String(ext.offset)], [
        "length",
        String(ext.length),
      ]]
    ) {
      w.message(13, (e) => e.string(1, k).string(2, v));
    }
    w.int(14, 1);
  } else {
    const data = (c as ConstData).data!;
    w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
}

function writeAttr(w: ProtoWriter, name: string, v: Attr): void {
  w.string(1, name);
  if (typeof v === "number" || typeof v === "bigint") {
    if (typeof v === "number" && !Number.isInteger(v)) {
      throw new GraphError("serialize", `attribute ${name}=${v} is not an integer; wrap with f()`);
    }
    w.int(3, v).int(20, 2);
  } else if (typeof v === "string") w.string(4, v).int(20, 3);
  else if (Array.isArray(v)) w.packedInts(8, v as number[]).int(20, 7);
  else if ("float" in v) w.float(2, v.float).int(20, 1);
  else if ("floats" in v) w.packedFloats(7, v.floats).int(20, 6);
  else if ("strings" in v) {
    for (const s of v.strings) w.string(9, s);
    w.int(20, 8);
  } else if ("tensor" in v) {
    w.message(5, (t) => writeTensorData(t, name, v.tensor)).int(20, 4);
  }
}

function writeValueInfo(w: ProtoWriter, t: Tensor): void {
  w.string(1, t.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, DTYPE_CODE[t.dtype]);
      tt.message(2, (shape) => {
        for (const d of t.shape) {
          shape.message(1, (dim) => {
            if (typeof d === "number") dim.int(1, d);
            else if (!isUnknown(d)) dim.string(2, d);
          });
        }
      });
    }));
}

function writeNode(w: ProtoWriter, n: Node): void {
  for (const i of n.inputs) w.string(1, i ? i.name : "");
  for (const o of n.outputs) w.string(2, o.name);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attrs)) w.message(5, (a) => writeAttr(a, k, v));
  if (n.domain) w.string(7, n.domain);
}

/** The nodes needed for the graph's outputs, in creation (topological) order. */
export function liveNodes(g: Graph): Node[] {
  const live = new Set<Node>();
  const stack = [...g.outputs];
  while (stack.length) {
    const t = stack.pop()!;
    const p = t.producer;
    if (!p || live.has(p)) continue;
    live.add(p);
    for (const i of p.inputs) if (i) stack.push(i);
  }
  return g.nodes.filter((n) => live.has(n));
}

/** Encode the graph as ModelProto bytes. */
export function toModelProto(g: Graph, opts: SerializeOptions = {}): Uint8Array {
  if (g.outputs.length === 0) throw new GraphError("serialize", "the graph has no outputs");
  const nodes = opts.keepDead ? g.nodes : liveNodes(g);
  const used = new Set<string>();
  for (const n of nodes) for (const i of n.inputs) if (i) used.add(i.name);
  for (const o of g.outputs) used.add(o.name);
  const domains = new Set(nodes.map((n) => n.domain).filter((d) => d !== ""));
  const w = new ProtoWriter();
  w.int(1, opts.irVersion ?? IR_VERSION);
  w.string(2, "idim");
  w.string(3, "0.1");
  w.message(7, (gw) => {
    for (const n of nodes) gw.message(1, (nw) => writeNode(nw, n));
    gw.string(2, g.name);
    for (const [name, init] of g.initializers) {
      if (used.has(name)) gw.message(5, (tw) => writeTensorData(tw, name, init));
    }
    for (const t of g.inputs) gw.message(11, (vw) => writeValueInfo(vw, t));
    for (const t of g.outputs) gw.message(12, (vw) => writeValueInfo(vw, t));
  });
  w.message(8, (o) => o.string(1, "").int(2, opts.opset ?? OPSET));
  for (const d of domains) w.message(8, (o) => o.string(1, d).int(2, 1));
  for (const [k, v] of Object.entries(opts.metadata ?? {})) {
    w.message(14, (e) => e.string(1, k).string(2, v));
  }
  return w.finish();
}
