/**
 * Device names (what `--device` and `pipeline.yaml`'s `run.device` accept) and the ONNX Runtime
 * execution providers they map to.
 *
 * @module
 */

/** Every accepted device name. `auto` picks cuda, then webgpu, then cpu: the first that works. */
export const DEVICES = ["cpu", "cuda", "webgpu", "auto"] as const;

/** A device name as the user writes it. */
export type Device = typeof DEVICES[number];

/** An execution provider as onnxruntime-node names it in `executionProviders`. */
export type Provider = "cpu" | "cuda" | "webgpu";

/** The providers a device can resolve to, in `auto`'s order of preference. */
export const GPU_PROVIDERS: readonly Provider[] = ["cuda", "webgpu"];

/** ONNX Runtime's internal provider names, as they appear in profiles and logs. */
export const ORT_PROVIDER_NAMES: Readonly<Record<Provider, string>> = {
  cpu: "CPUExecutionProvider",
  cuda: "CUDAExecutionProvider",
  webgpu: "WebGpuExecutionProvider",
};

/** Maps ORT's internal provider name (`CUDAExecutionProvider`) back to ours; unknown names pass. */
export function providerFromOrtName(name: string): string {
  for (const [p, n] of Object.entries(ORT_PROVIDER_NAMES)) if (n === name) return p;
  return name;
}

/**
 * Parses a device name; `where` names the source (`--device`, `pipeline.yaml: run.device`) in
 * the error. Case and surrounding spaces are ignored.
 */
export function parseDevice(value: string, where = "--device"): Device {
  const v = value.trim().toLowerCase();
  if ((DEVICES as readonly string[]).includes(v)) return v as Device;
  throw new Error(
    `${where}: unknown device ${JSON.stringify(value)}; expected one of ${DEVICES.join(", ")}`,
  );
}

/** The `executionProviders` list for a resolved provider: itself, then CPU for what it lacks. */
export function executionProviders(provider: Provider): Provider[] {
  return provider === "cpu" ? ["cpu"] : [provider, "cpu"];
}

/**
 * The device option the pipeline CLI validates `--device` and `run.device` with (the engine's
 * `DeviceOption`, structurally): the engine passes the name on to stages as an opaque string.
 */
export const DEVICE_OPTION: {
  readonly choices: readonly Device[];
  readonly description: string;
  readonly default: Device;
  parse(value: string, where?: string): Device;
} = {
  choices: DEVICES,
  description: "execution device handed to stages (not part of keys)",
  default: "cpu",
  parse: parseDevice,
};
