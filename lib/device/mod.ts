/**
 * Execution devices: `--device cpu|cuda|webgpu|auto` → ONNX Runtime execution providers, with
 * probing, clear errors for missing provider libraries, and node-placement (fallback) accounting.
 * See docs/gpu.md.
 *
 * @module
 */
export * from "./device.ts";
export * from "./errors.ts";
export * from "./ort_files.ts";
export * from "./probe.ts";
export * from "./select.ts";
export * from "./placement.ts";
export * from "./session.ts";
