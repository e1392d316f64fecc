/**
 * Where onnxruntime-node keeps its native files, and which provider libraries are present.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import process from "node:process";
import type { Provider } from "./device.ts";

/**
 * Shared libraries a provider needs next to `onnxruntime_binding.node`. CPU and WebGPU are
 * compiled into `libonnxruntime.so.1`; CUDA is loaded at run time from these two files.
 */
export const PROVIDER_LIBRARIES: Readonly<Record<Provider, readonly string[]>> = {
  cpu: [],
  webgpu: [],
  cuda: ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"],
};

/** The folder holding onnxruntime-node's binding and libraries for this platform. */
export function ortBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("onnxruntime-node/package.json");
  const platform = `${process.platform}/${process.arch}`;
  return path.join(path.dirname(pkg), "bin", "napi-v6", platform);
}

/** The libraries `provider` needs that are missing from `dir` (default {@link ortBinaryDir}). */
export function missingProviderLibraries(provider: Provider, dir = ortBinaryDir()): string[] {
  return PROVIDER_LIBRARIES[provider].filter((f) => !existsSync(path.join(dir, f)));
}
