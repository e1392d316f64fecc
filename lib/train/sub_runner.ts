/**
 * Runs stage instances from inside a running stage, through the same content-addressed store
 * and with exactly the keys the planner would give them: used by the adaptive d90/r90 search,
 * which only learns which training points it needs while it runs. A sub-instance already in
 * the store is reused; one that is missing is run in this process (its own work folder,
 * scratch dir, log and per-key attempt lock, as the executors do) and committed, so a later
 * full-grid run — or a rerun of the search — finds it cached.
 *
 * @module
 */
import * as path from "node:path";
import { buildDag } from "../pipeline/dag.ts";
import { removeTree } from "../pipeline/fsutil.ts";
import { executeInstance, instanceSpec, writeSpec } from "../pipeline/instance_exec.ts";
import type { InstanceRef, StageDefinition } from "../pipeline/stage.ts";
import { StateCache } from "../pipeline/state.ts";
import { Store } from "../pipeline/store.ts";

/** Where a running instance sits in the store, recovered from its scratch dir. */
export interface StoreLocation {
  storePath: string;
  key: string;
}

/**
 * The store and key of the instance whose scratch dir is `scratchDir`
 * (`<store>/work/<key>/scratch`), or null when the layout does not match (e.g. a test context).
 */
export function locateInStore(scratchDir: string): StoreLocation | null {
  const work = path.dirname(path.resolve(scratchDir));
  const key = path.basename(work);
  const storePath = path.dirname(path.dirname(work));
  if (path.basename(path.resolve(scratchDir)) !== "scratch") return null;
  if (path.basename(path.dirname(work)) !== "work" || !/^[0-9a-f]{64}$/.test(key)) return null;
  return { storePath, key };
}

/** Counts of what a sub-runner did. */
export interface SubRunStats {
  /** Instances run by this sub-runner. */
  ran: number;
  /** Instances found already committed. */
  cached: number;
  /** Instance ids run, in order. */
  ranIds: string[];
}

/** Runs instance refs and returns the directory of the root instance's outputs. */
export interface SubRunner {
  run(ref: InstanceRef): Promise<string>;
  stats: SubRunStats;
}

/** Options of a store-backed sub-runner. */
export interface StoreSubRunnerOptions {
  storePath: string;
  stages: StageDefinition[];
  device: string;
  projectRoot: string;
  log(message: string): void;
  signal?: AbortSignal;
  progress?(done: number, total: number, note?: string): void;
}

/** A sub-runner that keys, caches and commits through the store at `storePath`. */
export function storeSubRunner(opts: StoreSubRunnerOptions): SubRunner {
  const store = new Store(opts.storePath);
  const stats: SubRunStats = { ran: 0, cached: 0, ranIds: [] };
  const run = async (ref: InstanceRef): Promise<string> => {
    const dag = buildDag([ref], opts.stages);
    for (const inst of dag.instances) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("interrupted");
      const state = new StateCache(store.stateFile).load();
      if (store.verify(inst.key, state).ok) {
        stats.cached++;
        continue;
      }
      writeSpec(store, instanceSpec(inst, opts.device, opts.projectRoot));
      opts.log(`sub-run ${inst.id} (${inst.key.slice(0, 12)}…)`);
      const res = await executeInstance(opts.storePath, inst.key, {
        log: (line) => opts.log(`  [${inst.id}] ${line}`),
        progress: opts.progress,
        signal: opts.signal,
      });
      if (!res.ok) {
        throw new Error(
          `sub-instance ${inst.id} failed: ${res.error} (log: ${store.logPath(inst.key)})`,
        );
      }
      removeTree(store.workDir(inst.key));
      stats.ran++;
      stats.ranIds.push(inst.id);
    }
    const root = dag.roots[0];
    return store.materialize(root.key, new StateCache(store.stateFile).load());
  };
  return { run, stats };
}

/** Collects every stage definition exported by a module namespace (singly or in arrays). */
export function stagesOf(mod: Record<string, unknown>): StageDefinition[] {
  const out = new Map<string, StageDefinition>();
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") {
      const s = v as StageDefinition;
      if (typeof s.kind === "string" && typeof s.run === "function" && !out.has(s.kind)) {
        out.set(s.kind, s);
      } else if (!("kind" in s)) Object.values(v).forEach((x) => x !== v && visitShallow(x));
    }
  };
  const visitShallow = (v: unknown) => {
    const s = v as StageDefinition;
    if (s && typeof s === "object" && typeof s.kind === "string" && typeof s.run === "function") {
      if (!out.has(s.kind)) out.set(s.kind, s);
    }
  };
  Object.values(mod).forEach(visit);
  return [...out.values()];
}
