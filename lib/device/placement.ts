/**
 * Node placement: which execution provider ran each node of a session, read from ONNX Runtime's
 * profile of one run (every node event there carries `args.provider`). With a GPU provider
 * first, nodes on CPU are the fallback: ops the provider lacks, plus the small shape
 * computations ORT keeps on CPU by design. `Memcpy*` nodes are the copies ORT inserts between
 * them (host↔device transfers inside a step) and are counted apart.
 *
 * @module
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import type { TrainSpec, TypedArray } from "../onnx/mod.ts";
import { type Provider, providerFromOrtName } from "./device.ts";

/** Where the nodes of one session ran. */
export interface Placement {
  /** The provider the session was created for (first in its list). */
  provider: Provider;
  /** Nodes run, by provider (`cpu`, `webgpu`, …), copies excluded. */
  nodesByProvider: Record<string, number>;
  /** Nodes run (each counted once, even if the profile saw several runs), copies excluded. */
  totalNodes: number;
  /** Nodes that ran on CPU although another provider was first (0 when `provider` is cpu). */
  fallbackNodes: number;
  /** Op types of the fallback nodes, with counts. */
  fallbackOps: Record<string, number>;
  /** Host↔device copy nodes ORT inserted (MemcpyFromHost / MemcpyToHost). */
  copyNodes: number;
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  args?: { op_name?: string; provider?: string };
}

/** Computes a {@link Placement} from the events of an ORT profile (its JSON array). */
export function placementFromProfile(events: unknown, provider: Provider): Placement {
  if (!Array.isArray(events)) throw new Error("ORT profile: expected a JSON array of events");
  const seen = new Map<string, { op: string; ep: string }>();
  for (const e of events as ProfileEvent[]) {
    if (e?.cat !== "Node" || !e.args?.provider || !e.name?.endsWith("_kernel_time")) continue;
    const node = e.name.slice(0, -"_kernel_time".length);
    seen.set(node, { op: e.args.op_name ?? "?", ep: providerFromOrtName(e.args.provider) });
  }
  const nodesByProvider: Record<string, number> = {};
  const fallbackOps: Record<string, number> = {};
  let copyNodes = 0, totalNodes = 0, fallbackNodes = 0;
  for (const { op, ep } of seen.values()) {
    if (op.startsWith("Memcpy")) {
      copyNodes++;
      continue;
    }
    totalNodes++;
    nodesByProvider[ep] = (nodesByProvider[ep] ?? 0) + 1;
    if (provider !== "cpu" && ep === "cpu") {
      fallbackNodes++;
      fallbackOps[op] = (fallbackOps[op] ?? 0) + 1;
    }
  }
  return { provider, nodesByProvider, totalNodes, fallbackNodes, fallbackOps, copyNodes };
}

/**
 * Opens `model` with `options` plus profiling, runs `feeds` once, and returns where its nodes
 * ran. The session is released; the profile file is deleted.
 */
export async function measurePlacement(
  model: string | Uint8Array,
  options: ort.InferenceSession.SessionOptions,
  feeds: Record<string, ort.Tensor>,
  fetches?: string[],
): Promise<Placement> {
  const dir = mkdtempSync(path.join(tmpdir(), "idim-placement-"));
  const provider = firstProvider(options);
  let session: ort.InferenceSession | undefined;
  try {
    const opts = { ...options, enableProfiling: true, profileFilePrefix: path.join(dir, "p") };
    session = typeof model === "string"
      ? await ort.InferenceSession.create(model, opts)
      : await ort.InferenceSession.create(model, opts);
    await (fetches ? session.run(feeds, fetches) : session.run(feeds));
    session.endProfiling();
    const file = readdirSync(dir).find((f) => f.endsWith(".json"));
    if (!file) throw new Error(`ORT wrote no profile into ${dir}`);
    return placementFromProfile(JSON.parse(readFileSync(path.join(dir, file), "utf8")), provider);
  } finally {
    await session?.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

function firstProvider(o: ort.InferenceSession.SessionOptions): Provider {
  const first = o.executionProviders?.[0] ?? "cpu";
  const name = typeof first === "string" ? first : first.name;
  return name as Provider;
}

/** One line for logs: `webgpu: 812 of 840 nodes, 28 on cpu (Gather 10, …), 6 copies`. */
export function describePlacement(p: Placement): string {
  const on = p.nodesByProvider[p.provider] ?? 0;
  const ops = Object.entries(p.fallbackOps).sort((a, b) => b[1] - a[1]).slice(0, 6)
    .map(([op, n]) => `${op} ${n}`).join(", ");
  return `${p.provider}: ${on} of ${p.totalNodes} nodes` +
    (p.provider === "cpu" ? "" : `, ${p.fallbackNodes} on cpu${ops ? ` (${ops})` : ""}`) +
    `, ${p.copyNodes} copies`;
}

/**
 * Every input of a training graph for its first step (initial parameters, zero optimizer state,
 * default hyper-parameters, step 1) plus `batch`, as TrainSession feeds them: for
 * {@link measurePlacement} of a training graph.
 */
export function trainFeeds(
  spec: TrainSpec,
  init: Record<string, TypedArray>,
  batch: Record<string, ort.Tensor>,
): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = { ...batch };
  for (const p of spec.params) {
    f[p.input] = new ort.Tensor(p.dtype as "float32", init[p.input] as Float32Array, p.shape);
  }
  for (const s of spec.state) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = s.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
    f[s.input] = new ort.Tensor(
      s.dtype as "float32",
      data.fill(s.init ?? 0) as Float32Array,
      s.shape,
    );
  }
  for (const h of Object.values(spec.hyper)) {
    f[h.input] = new ort.Tensor("float32", new Float32Array([h.value]), []);
  }
  f[spec.step] = new ort.Tensor("float32", new Float32Array([1]), []);
  return f;
}
