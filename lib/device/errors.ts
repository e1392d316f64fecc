/**
 * The errors device selection throws. Each message says what is missing and what to do.
 *
 * @module
 */
import type { Provider } from "./device.ts";

/** Base class: a requested device cannot be used. */
export class DeviceError extends Error {
  /** @param provider the provider that was asked for. */
  constructor(readonly provider: Provider, message: string) {
    super(message);
    this.name = "DeviceError";
  }
}

/** The npm command that downloads onnxruntime-node's CUDA 12 provider libraries. */
export const CUDA_INSTALL_COMMAND =
  "npm install onnxruntime-node --onnxruntime-node-install=cuda12";

/** The same through the environment (for `deno install`, which runs no install scripts). */
export const CUDA_INSTALL_ENV = "ONNXRUNTIME_NODE_INSTALL=cuda12";

/** A provider's shared libraries are not next to onnxruntime-node's binding. */
export class MissingProviderLibraryError extends DeviceError {
  /**
   * @param dir the folder that was checked
   * @param missing the file names not found there
   */
  constructor(provider: Provider, readonly dir: string, readonly missing: string[]) {
    super(provider, missingLibraryMessage(provider, dir, missing));
    this.name = "MissingProviderLibraryError";
  }
}

/** The message of {@link MissingProviderLibraryError}. */
export function missingLibraryMessage(provider: Provider, dir: string, missing: string[]): string {
  return [
    `--device ${provider}: ONNX Runtime's ${provider.toUpperCase()} execution provider is not ` +
    `installed: ${missing.join(", ")} not found in ${dir}.`,
    `onnxruntime-node does not bundle these files; its install script downloads them (CUDA 12 ` +
    `builds, from NuGet's Microsoft.ML.OnnxRuntime.Gpu.Linux). Install them with`,
    `  ${CUDA_INSTALL_COMMAND}`,
    `or, where the install script runs through the environment (npm ci, deno install then ` +
    `\`node node_modules/onnxruntime-node/script/install\`),`,
    `  ${CUDA_INSTALL_ENV} npm ci`,
    `or copy them from the onnxruntime-gpu Python wheel (onnxruntime/capi/) of the same version ` +
    `into ${dir}. The provider also needs the CUDA 12 runtime, cuBLAS and cuDNN 9 on the ` +
    `library path. Or run with --device webgpu (bundled; needs a Vulkan driver) or --device cpu.`,
  ].join("\n");
}

/** A provider's libraries are there (or bundled) but it failed to start a session. */
export class ProviderUnavailableError extends DeviceError {
  /** @param reason ONNX Runtime's own message */
  constructor(provider: Provider, readonly reason: string) {
    super(provider, unavailableMessage(provider, reason));
    this.name = "ProviderUnavailableError";
  }
}

function unavailableMessage(provider: Provider, reason: string): string {
  const hint = provider === "webgpu"
    ? "The WebGPU provider ships inside onnxruntime-node; on Linux it runs on Vulkan and needs " +
      "the Vulkan loader (libvulkan.so.1: Debian/Ubuntu package libvulkan1) and a GPU driver " +
      "that registers a Vulkan ICD (NVIDIA: nvidia_icd.json; point VK_DRIVER_FILES at it if " +
      "the loader does not find it)."
    : "Check that the CUDA 12 runtime, cuBLAS and cuDNN 9 libraries are on the library path " +
      "and that a GPU is visible (nvidia-smi).";
  return `--device ${provider}: ONNX Runtime could not start the ${provider} execution provider: ` +
    `${reason.trim().split("\n")[0]}\n${hint} Or run with --device cpu (or auto, which falls ` +
    `back to cpu).`;
}
