/**
 * Device selection: turns a requested {@link Device} into the execution providers a session is
 * created with, probing the GPU providers. `cuda` and `webgpu` fail loudly when unusable (the
 * user asked for them); `auto` takes the first that works of cuda, webgpu, cpu and notes why it
 * skipped the others.
 *
 * @module
 */
import { type Device, executionProviders, GPU_PROVIDERS, type Provider } from "./device.ts";
import { MissingProviderLibraryError, ProviderUnavailableError } from "./errors.ts";
import { type ProbeFn, probeProvider, type ProviderProbe } from "./probe.ts";

/** The outcome of selection: what to pass to ORT and what to record in the run. */
export interface DeviceSelection {
  /** What the user asked for. */
  requested: Device;
  /** The provider that runs the graph (CPU takes only the nodes it lacks). */
  provider: Provider;
  /** `executionProviders` for the session: the provider, then cpu. */
  executionProviders: Provider[];
  /** For `auto`: why each skipped provider was skipped. */
  skipped: { provider: Provider; reason: string }[];
}

function unusable(probe: ProviderProbe): Error {
  if (probe.missingLibraries.length > 0) {
    return new MissingProviderLibraryError(
      probe.provider,
      probe.libraryDir,
      probe.missingLibraries,
    );
  }
  return new ProviderUnavailableError(probe.provider, probe.reason ?? "unknown error");
}

/**
 * Resolves `device`. Throws {@link MissingProviderLibraryError} or
 * {@link ProviderUnavailableError} when an explicitly requested GPU provider cannot run.
 */
export async function selectDevice(
  device: Device,
  probe: ProbeFn = probeProvider,
): Promise<DeviceSelection> {
  const pick = (provider: Provider, skipped: DeviceSelection["skipped"] = []) => ({
    requested: device,
    provider,
    executionProviders: executionProviders(provider),
    skipped,
  });
  if (device === "cpu") return pick("cpu");
  if (device === "cuda" || device === "webgpu") {
    const r = await probe(device);
    if (!r.available) throw unusable(r);
    return pick(device);
  }
  const skipped: DeviceSelection["skipped"] = [];
  for (const p of GPU_PROVIDERS) {
    const r = await probe(p);
    if (r.available) return pick(p, skipped);
    skipped.push({ provider: p, reason: (r.reason ?? "unavailable").split("\n")[0] });
  }
  return pick("cpu", skipped);
}
