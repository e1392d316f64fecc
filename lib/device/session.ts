/**
 * The one place a device string becomes ONNX Runtime session options: parse it, select the
 * provider (probing GPUs for `auto`, failing loudly for an explicit GPU that cannot run), and
 * return the `executionProviders` and thread settings every session of the run is opened with,
 * together with the provider actually used, for the run's record.
 *
 * @module
 */
import type { SessionOptions } from "../onnx/mod.ts";
import { parseDevice } from "./device.ts";
import { type ProbeFn, probeProvider } from "./probe.ts";
import { type DeviceSelection, selectDevice } from "./select.ts";

/** Session options for a device, and what the selection found. */
export interface DeviceSessions {
  /** Pass to `TrainSession.create` / `EvalSession.create`. */
  options: SessionOptions;
  /** The resolved device: requested name, provider used, providers skipped by `auto`. */
  selection: DeviceSelection;
}

/** What the run should record about its device (`provider`, plus the request and skips). */
export interface DeviceRecord {
  provider: DeviceSelection["provider"];
  requested: DeviceSelection["requested"];
  skipped: DeviceSelection["skipped"];
}

/**
 * Resolves `device` (`cpu`, `cuda`, `webgpu`, `auto`; `where` names its source in errors) and
 * returns the session options for `threads` intra-op threads.
 */
export async function deviceSessions(
  device: string,
  threads: number,
  opts: { where?: string; probe?: ProbeFn } = {},
): Promise<DeviceSessions> {
  const selection = await selectDevice(
    parseDevice(device, opts.where),
    opts.probe ?? probeProvider,
  );
  return {
    options: { executionProviders: selection.executionProviders, intraOpNumThreads: threads },
    selection,
  };
}

/** The record of a selection (for result.json / model.json). */
export function deviceRecord(s: DeviceSelection): DeviceRecord {
  return { provider: s.provider, requested: s.requested, skipped: s.skipped };
}
