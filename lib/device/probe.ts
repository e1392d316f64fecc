/**
 * Provider probes: whether an execution provider can run a session here. A probe checks the
 * provider's libraries, then opens a one-MatMul session on that provider alone (CPU fallback
 * disabled), runs it and checks the result. Results are memoised per process.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { add, Graph, matmul, toModelProto } from "../onnx/mod.ts";
import type { Provider } from "./device.ts";
import { missingLibraryMessage } from "./errors.ts";
import { missingProviderLibraries, ortBinaryDir } from "./ort_files.ts";

/** What a probe found. */
export interface ProviderProbe {
  provider: Provider;
  /** onnxruntime-node knows the provider (`listSupportedBackends`). */
  known: boolean;
  /** It ships inside the package (no separate download). */
  bundled: boolean;
  /** A session ran on it and gave the right answer. */
  available: boolean;
  /** Libraries the provider needs that are missing (empty when none). */
  missingLibraries: string[];
  /** The folder checked for those libraries. */
  libraryDir: string;
  /** Why it is unavailable: the missing-library message or ONNX Runtime's error. */
  reason?: string;
  /** Wall time of the probe. */
  seconds: number;
}

/** Signature of a probe; selection takes one so tests can substitute it. */
export type ProbeFn = (provider: Provider) => Promise<ProviderProbe>;

let tinyModel: Uint8Array | undefined;

/** y = x·x + 1 on a 2×2 input: small enough for any provider, checkable by hand. */
function probeModel(): Uint8Array {
  if (!tinyModel) {
    const g = new Graph("idim_probe");
    const x = g.input("x", "float32", [2, 2]);
    g.output(add(matmul(x, x), 1), "y");
    tinyModel = toModelProto(g);
  }
  return tinyModel;
}

const EXPECTED = [8, 11, 16, 23]; // [[1,2],[3,4]]² + 1

/** Backends onnxruntime-node was built with: name and whether bundled. */
export function supportedBackends(): { name: string; bundled: boolean }[] {
  const list = (ort as unknown as { listSupportedBackends?: () => unknown }).listSupportedBackends;
  return typeof list === "function" ? list() as { name: string; bundled: boolean }[] : [];
}

/** Probes one provider (uncached). `libraryDir` defaults to onnxruntime-node's own. */
export async function probeProviderUncached(
  provider: Provider,
  libraryDir = ortBinaryDir(),
): Promise<ProviderProbe> {
  const t0 = performance.now();
  const entry = supportedBackends().find((b) => b.name === provider);
  const base = {
    provider,
    known: entry !== undefined,
    bundled: entry?.bundled ?? false,
    libraryDir,
  };
  const done = (available: boolean, missing: string[], reason?: string): ProviderProbe => ({
    ...base,
    available,
    missingLibraries: missing,
    ...(reason !== undefined ? { reason } : {}),
    seconds: (performance.now() - t0) / 1000,
  });
  if (!entry) {
    return done(false, [], `onnxruntime-node ${ort.env.versions.node} has no ${provider} provider`);
  }
  const missing = missingProviderLibraries(provider, libraryDir);
  if (missing.length > 0) {
    return done(false, missing, missingLibraryMessage(provider, libraryDir, missing));
  }
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(probeModel(), {
      executionProviders: [provider],
      ...(provider === "cpu" ? {} : { extra: { session: { disable_cpu_ep_fallback: "1" } } }),
    });
    const x = new ort.Tensor("float32", new Float32Array([1, 2, 3, 4]), [2, 2]);
    const y = (await session.run({ x })).y.data as Float32Array;
    if (!EXPECTED.every((v, i) => Math.abs(y[i] - v) < 1e-4)) {
      return done(false, [], `probe session returned [${[...y]}], expected [${EXPECTED}]`);
    }
    return done(true, []);
  } catch (e) {
    return done(false, [], (e as Error).message);
  } finally {
    await session?.release();
  }
}

const cache = new Map<Provider, Promise<ProviderProbe>>();

/** Probes one provider, once per process. */
export function probeProvider(provider: Provider): Promise<ProviderProbe> {
  let p = cache.get(provider);
  if (!p) {
    p = probeProviderUncached(provider);
    cache.set(provider, p);
  }
  return p;
}

/** Probes cpu, cuda and webgpu (in that order). */
export async function probeAll(probe: ProbeFn = probeProvider): Promise<ProviderProbe[]> {
  const out: ProviderProbe[] = [];
  for (const p of ["cpu", "cuda", "webgpu"] as Provider[]) out.push(await probe(p));
  return out;
}
