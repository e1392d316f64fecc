/**
 * The lock file (`pipeline.lock` next to `pipeline.yaml`): a readable, sorted YAML record of
 * instance → key → output digests, diffable in git like `dvc.lock`. It is a record, not the
 * cache's source of truth (the store is); dry-run reasons come from comparing with it.
 *
 * @module
 */
import { parse } from "yaml";
import { canonicalJson } from "../hash/mod.ts";
import type { Instance } from "./dag.ts";
import { writeFileAtomic } from "./fsutil.ts";
import type { Json } from "./stage.ts";
import type { AdoptedFrom, ManifestFile } from "./store.ts";

/** One instance's record. */
export interface LockEntry {
  kind: string;
  key: string;
  code: string;
  params: Record<string, Json>;
  inputs: Record<string, { id: string; key: string }>;
  outputs: Record<string, ManifestFile>;
  publish?: string;
}

/** The whole lock file: id → entry. */
export type LockData = Map<string, LockEntry>;

const HEADER =
  "# Written by `pipeline run`: each instance's key and output digests. Do not edit.\n";

/** The lock path for a config file: `<dir>/<basename without extension>.lock`. */
export function lockPathFor(configFile: string): string {
  return configFile.replace(/\.(ya?ml|json)$/i, "") + ".lock";
}

/** The entry describing a completed instance. */
export function entryFor(inst: Instance, outputs: Record<string, ManifestFile>): LockEntry {
  const inputs: Record<string, { id: string; key: string }> = {};
  for (const [name, up] of Object.entries(inst.inputs)) inputs[name] = { id: up.id, key: up.key };
  return {
    kind: inst.kind,
    key: inst.key,
    code: inst.code,
    params: inst.params,
    inputs,
    outputs,
    publish: inst.publish,
  };
}

const q = (s: string) => JSON.stringify(s);

/** Serialises lock data as YAML (JSON-compatible scalars, one block per instance, sorted). */
export function formatLock(data: LockData): string {
  const ids = [...data.keys()].sort();
  const parts: string[] = [HEADER, "version: 1\n", "instances:\n"];
  if (ids.length === 0) parts[2] = "instances: {}\n";
  for (const id of ids) {
    const e = data.get(id)!;
    let s = `  ${q(id)}:\n    kind: ${q(e.kind)}\n    key: ${e.key}\n    code: ${e.code}\n`;
    s += `    params: ${canonicalJson(e.params)}\n`;
    const inputNames = Object.keys(e.inputs).sort();
    if (inputNames.length === 0) s += "    inputs: {}\n";
    else {
      s += "    inputs:\n";
      for (const n of inputNames) {
        s += `      ${q(n)}: {id: ${q(e.inputs[n].id)}, key: ${e.inputs[n].key}}\n`;
      }
    }
    const outNames = Object.keys(e.outputs).sort();
    if (outNames.length === 0) s += "    outputs: {}\n";
    else {
      s += "    outputs:\n";
      for (const n of outNames) {
        s += `      ${q(n)}: {digest: ${e.outputs[n].digest}, size: ${e.outputs[n].size}}\n`;
      }
    }
    if (e.publish) s += `    publish: ${q(e.publish)}\n`;
    parts.push(s);
  }
  return parts.join("");
}

/** Reads a lock file; a missing file is empty; an unreadable one is reported and ignored. */
export function readLock(file: string, warn?: (msg: string) => void): LockData {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return new Map();
  }
  // The file as `formatLock` writes it reads line by line (a large study's lock is megabytes of
  // flow-style YAML, slow to parse); anything else — an edited or older file — goes to the YAML
  // parser. The fast reading is used only when writing it back gives the same text.
  const fast = readFormattedLock(text);
  if (fast && formatLock(fast) === text) return fast;
  try {
    const doc = parse(text) as { instances?: Record<string, LockEntry> } | null;
    const m: LockData = new Map();
    for (const [id, e] of Object.entries(doc?.instances ?? {})) {
      if (e && typeof e === "object" && typeof e.key === "string") {
        m.set(id, {
          ...e,
          params: e.params ?? {},
          inputs: e.inputs ?? {},
          outputs: e.outputs ?? {},
        });
      }
    }
    return m;
  } catch (err) {
    warn?.(`${file}: unreadable lock file ignored (${(err as Error).message.split("\n")[0]})`);
    return new Map();
  }
}

const ID_LINE = /^ {2}("(?:[^"\\]|\\.)*"):$/;
const INPUT_LINE = /^ {6}("(?:[^"\\]|\\.)*"): \{id: ("(?:[^"\\]|\\.)*"), key: ([0-9a-f]+)\}$/;
const OUTPUT_LINE = /^ {6}("(?:[^"\\]|\\.)*"): \{digest: ([0-9a-f]+), size: (\d+)\}$/;

/**
 * Lock data from text in exactly `formatLock`'s layout, or null at the first line that is not.
 * (The caller checks the round trip, so a subtly different file never passes as this layout.)
 */
export function readFormattedLock(text: string): LockData | null {
  const lines = text.split("\n");
  if (lines[0] + "\n" !== HEADER || lines[1] !== "version: 1") return null;
  const m: LockData = new Map();
  if (lines[2] === "instances: {}") return m;
  if (lines[2] !== "instances:") return null;
  let i = 3;
  const field = (name: string): string | null => {
    const prefix = `    ${name}: `;
    return lines[i]?.startsWith(prefix) ? lines[i++].slice(prefix.length) : null;
  };
  try {
    while (i < lines.length && lines[i] !== "") {
      const idm = ID_LINE.exec(lines[i++]);
      const kind = field("kind");
      const key = field("key");
      const code = field("code");
      const params = field("params");
      if (!idm || kind === null || key === null || code === null || params === null) return null;
      const e: LockEntry = {
        kind: JSON.parse(kind),
        key,
        code,
        params: JSON.parse(params),
        inputs: {},
        outputs: {},
      };
      if (lines[i] === "    inputs: {}") i++;
      else if (lines[i] === "    inputs:") {
        for (i++; INPUT_LINE.test(lines[i] ?? ""); i++) {
          const [, n, id, k] = INPUT_LINE.exec(lines[i])!;
          e.inputs[JSON.parse(n)] = { id: JSON.parse(id), key: k };
        }
      } else return null;
      if (lines[i] === "    outputs: {}") i++;
      else if (lines[i] === "    outputs:") {
        for (i++; OUTPUT_LINE.test(lines[i] ?? ""); i++) {
          const [, n, digest, size] = OUTPUT_LINE.exec(lines[i])!;
          e.outputs[JSON.parse(n)] = { digest, size: Number(size) };
        }
      } else return null;
      const publish = field("publish");
      if (publish !== null) e.publish = JSON.parse(publish);
      m.set(JSON.parse(idm[1]), e);
    }
  } catch {
    return null;
  }
  return i === lines.length - 1 && lines[i] === "" ? m : null;
}

/** Writes the lock file atomically when its content changed. Returns whether it wrote. */
export function writeLock(file: string, data: LockData): boolean {
  const text = formatLock(data);
  try {
    if (Deno.readTextFileSync(file) === text) return false;
  } catch {
    // absent
  }
  writeFileAtomic(file, text);
  return true;
}

/** Why an instance whose artifact is absent must run, judged against its lock entry. */
export function staleReasons(inst: Instance, entry: LockEntry | undefined): string[] {
  if (!entry) return ["new"];
  if (entry.key === inst.key) return [];
  const reasons: string[] = [];
  if (canonicalJson(entry.params) !== inst.paramsJson) {
    const changed: string[] = [];
    const all = new Set([...Object.keys(entry.params), ...Object.keys(inst.params)]);
    for (const k of [...all].sort()) {
      const a = canonicalJson(entry.params[k] ?? null);
      const b = canonicalJson(inst.params[k] ?? null);
      if (a !== b) changed.push(a.length + b.length < 60 ? `${k}: ${a} → ${b}` : k);
    }
    reasons.push(`params changed (${changed.join(", ")})`);
  }
  if (entry.code !== inst.code) reasons.push("code changed");
  const changedInputs: string[] = [];
  const names = new Set([...Object.keys(entry.inputs), ...Object.keys(inst.inputs)]);
  for (const n of names) {
    if (entry.inputs[n]?.key !== inst.inputs[n]?.key) changedInputs.push(inst.inputs[n]?.id ?? n);
  }
  if (changedInputs.length > 0) reasons.push(`input changed (${changedInputs.sort().join(", ")})`);
  if (reasons.length === 0) reasons.push("key changed");
  return reasons;
}

/**
 * The lock entry an instance is judged against: the one with its id, else (when a parameter
 * changed its id) the same-kind entry, absent from the current plan, differing in fewest params.
 */
export function previousEntry(
  inst: Instance,
  lock: LockData,
  byKind: Map<string, [string, LockEntry][]>,
  planned: Set<string>,
): LockEntry | undefined {
  const direct = lock.get(inst.id);
  if (direct) return direct;
  let best: LockEntry | undefined;
  let bestDiff = Infinity;
  for (const [id, e] of byKind.get(inst.kind) ?? []) {
    if (planned.has(id)) continue;
    const keys = new Set([...Object.keys(e.params), ...Object.keys(inst.params)]);
    let diff = 0;
    for (const k of keys) {
      if (canonicalJson(e.params[k] ?? null) !== canonicalJson(inst.params[k] ?? null)) diff += 1;
    }
    if (diff < bestDiff && diff < keys.size) {
      best = e;
      bestDiff = diff;
    }
  }
  return best;
}

/** Groups lock entries by kind, for previousEntry. */
export function lockByKind(lock: LockData): Map<string, [string, LockEntry][]> {
  const m = new Map<string, [string, LockEntry][]>();
  for (const [id, e] of lock) {
    const list = m.get(e.kind) ?? [];
    list.push([id, e]);
    m.set(e.kind, list);
  }
  return m;
}

/**
 * The earlier version of `inst` its run may reuse (the early cut-off): its lock entry under
 * another key with the same code, the same params and the same input names. Whether the inputs
 * still hold the same bytes is checked when it runs, once they are committed. None for an
 * instance that obtains on-demand inputs: what it obtained is not recorded, so it always runs
 * (the runs it obtains reuse in turn).
 */
export function reusableEntry(
  inst: Instance,
  entry: LockEntry | undefined,
): AdoptedFrom | undefined {
  if (!entry || entry.key === inst.key || entry.code !== inst.code) return undefined;
  if (Object.keys(inst.onDemand).length > 0) return undefined;
  if (canonicalJson(entry.params) !== inst.paramsJson) return undefined;
  const names = Object.keys(inst.inputs);
  if (names.length !== Object.keys(entry.inputs).length) return undefined;
  if (!names.every((n) => entry.inputs[n] !== undefined)) return undefined;
  return {
    key: entry.key,
    inputs: Object.fromEntries(names.map((n) => [n, entry.inputs[n].key])),
  };
}
