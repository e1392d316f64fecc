/**
 * Runs one stage instance given only the store path and its key: reads `work/<key>/spec.json`,
 * materialises the inputs, runs the stage into a fresh attempt folder and commits the outputs.
 * Used by the `run_instance.ts` process (the local pool and, later, cluster jobs) and by the
 * in-process executor.
 *
 * @module
 */
import * as path from "node:path";
import { exists, removeTree, tempName, writeFileAtomic } from "./fsutil.ts";
import type { Instance } from "./dag.ts";
import type { FailedInput, Json, StageContext, StageDefinition } from "./stage.ts";
import { clearElapsed, trackElapsed } from "./elapsed.ts";
import { StateCache, type StateEntry } from "./state.ts";
import { type AdoptedFrom, type Manifest, Store } from "./store.ts";

/** What the parent writes to `work/<key>/spec.json` before submitting an instance. */
export interface InstanceSpec {
  v: 1;
  key: string;
  id: string;
  kind: string;
  /** URL of the stage module (it exports the stage definition). */
  module: string;
  params: Record<string, Json>;
  /** Input name → upstream key and id. */
  inputs: Record<string, { key: string; id: string }>;
  outputs: string[];
  device: string;
  /** The project root (config folder). */
  projectRoot: string;
  /** Tolerated inputs that failed in this run (not materialised; the stage sees them). */
  failedInputs?: Record<string, FailedInput>;
  /**
   * `--force`: run again even when an artifact is committed, from scratch (the scratch/resume
   * state is discarded). The new commit replaces the old artifact only when it completes.
   */
  force?: boolean;
  /**
   * On-demand input name → the specs of that instance and everything upstream of it, in
   * topological order (the instance itself last): what `ctx.obtain(name)` runs when missing.
   */
  onDemand?: Record<string, InstanceSpec[]>;
  /**
   * The instance's earlier committed version with the same code and params (from the lock
   * file), under another key because an input's key changed: if every input now holds the bytes
   * it held then, that artifact is reused instead of recomputed (the early cut-off).
   */
  previous?: AdoptedFrom;
}

/**
 * The spec of a DAG instance, to run on `device` for the project rooted at `projectRoot`;
 * `force`: rerun even when committed; `failedInputs`: the tolerated inputs that failed in this run.
 */
export function instanceSpec(
  inst: Instance,
  device: string,
  projectRoot: string,
  opts: {
    force?: boolean;
    failedInputs?: Record<string, FailedInput>;
    /** The earlier version of an instance that may be reused (see `InstanceSpec.previous`). */
    previous?: (inst: Instance) => AdoptedFrom | undefined;
  } = {},
): InstanceSpec {
  const previous = opts.previous?.(inst);
  const spec: InstanceSpec = {
    v: 1,
    key: inst.key,
    id: inst.id,
    kind: inst.kind,
    module: inst.stage.module,
    params: inst.params,
    inputs: Object.fromEntries(
      Object.entries(inst.inputs).map(([n, up]) => [n, { key: up.key, id: up.id }]),
    ),
    outputs: inst.outputs,
    device,
    projectRoot,
    ...(opts.force ? { force: true } : {}),
    ...(opts.failedInputs && Object.keys(opts.failedInputs).length > 0
      ? { failedInputs: opts.failedInputs }
      : {}),
    ...(previous ? { previous } : {}),
  };
  const onDemand = Object.entries(inst.onDemand);
  if (onDemand.length > 0) {
    spec.onDemand = Object.fromEntries(
      onDemand.map(([name, target]) => [
        name,
        upstreamClosure(target).map((i) =>
          instanceSpec(i, device, projectRoot, { previous: opts.previous })
        ),
      ]),
    );
  }
  return spec;
}

/** `inst` and every instance it reads, in topological order (`inst` last). */
function upstreamClosure(inst: Instance): Instance[] {
  const seen = new Set<Instance>();
  const visit = (i: Instance) => {
    if (seen.has(i)) return;
    seen.add(i);
    Object.values(i.inputs).forEach(visit);
  };
  visit(inst);
  return [...seen].sort((a, b) => a.index - b.index);
}

/** What an attempt reports: `work/<key>/result.json`. */
export interface InstanceResult {
  ok: boolean;
  error?: string;
  seconds: number;
  /** State-cache entries learned while hashing, for the parent to merge. */
  state: StateEntry[];
  /** True when the artifact was already committed (by an earlier, interrupted attempt). */
  alreadyDone?: boolean;
  /** True when a committed artifact was recomputed and replaced (`--force`). */
  forced?: boolean;
  /** Seconds over every attempt of this key (resumed attempts add up), when known. */
  totalSeconds?: number;
  /** The key of the earlier computation reused instead of running (`InstanceSpec.previous`). */
  adopted?: string;
}

/** Callbacks for progress and log lines. */
export interface InstanceHooks {
  progress?(done: number, total: number, note?: string): void;
  log?(line: string): void;
  signal?: AbortSignal;
}

/** The paths of an instance's work folder. */
export function specPath(store: Store, key: string): string {
  return path.join(store.workDir(key), "spec.json");
}

/** The result file of an instance's last attempt. */
export function resultPath(store: Store, key: string): string {
  return path.join(store.workDir(key), "result.json");
}

/** Writes an instance's spec (atomically). */
export function writeSpec(store: Store, spec: InstanceSpec): void {
  const dir = store.workDir(spec.key);
  Deno.mkdirSync(dir, { recursive: true });
  writeFileAtomic(
    specPath(store, spec.key),
    JSON.stringify(spec, null, 1) + "\n",
    store.tmp,
    false,
  );
}

/** Finds the exported stage definition of a kind in a module namespace. */
export function findStage(mod: Record<string, unknown>, kind: string): StageDefinition | undefined {
  for (const v of Object.values(mod)) {
    const s = v as StageDefinition;
    if (s && typeof s === "object" && s.kind === kind && typeof s.run === "function") return s;
  }
  return undefined;
}

/** Runs and commits one instance. Never throws for stage failures: they come back as `ok: false`. */
export async function executeInstance(
  storePath: string,
  key: string,
  hooks: InstanceHooks = {},
): Promise<InstanceResult> {
  const store = new Store(storePath);
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 10) / 100;
  const spec = JSON.parse(Deno.readTextFileSync(specPath(store, key))) as InstanceSpec;
  const work = store.workDir(key);
  Deno.mkdirSync(work, { recursive: true });
  Deno.mkdirSync(store.logs, { recursive: true });
  Deno.mkdirSync(store.tmp, { recursive: true });
  const logFile = Deno.openSync(store.logPath(key), { append: true, create: true });
  const enc = new TextEncoder();
  const log = (msg: string) => {
    for (const line of msg.split("\n")) {
      logFile.writeSync(enc.encode(`${new Date().toISOString()} ${line}\n`));
      hooks.log?.(line);
    }
  };
  // One attempt at a time per key: a previous attempt orphaned by a killed parent finishes first.
  const keyLock = Deno.openSync(path.join(work, "attempt.lock"), {
    read: true,
    write: true,
    create: true,
  });
  await keyLock.lock(true);
  const state = new StateCache(store.stateFile).load();
  const finish = (r: Omit<InstanceResult, "state" | "seconds">): InstanceResult => {
    const result: InstanceResult = { ...r, seconds: seconds(), state: state.added() };
    // An attempt that waited on the key lock may find the folder removed by the one that
    // committed (two searches obtaining the same point): recreate it for the result file.
    Deno.mkdirSync(work, { recursive: true });
    writeFileAtomic(resultPath(store, key), JSON.stringify(result) + "\n", store.tmp, false);
    keyLock.unlockSync();
    keyLock.close();
    logFile.close();
    return result;
  };
  const committed = store.verify(key, state).ok;
  if (committed && !spec.force) {
    log(`${spec.id}: already committed by an earlier attempt`);
    return finish({ ok: true, alreadyDone: true });
  }
  const reusable = spec.force ? undefined : reusableVersion(store, spec, state);
  if (reusable) {
    store.adopt(key, reusable, spec.previous!.inputs);
    log(
      `=== ${spec.id} key ${key}: reused ${reusable.key} (same code and params; every input ` +
        `holds the bytes it held for it), not recomputed`,
    );
    removeTree(path.join(work, "scratch"));
    clearElapsed(work);
    return finish({ ok: true, adopted: reusable.key });
  }
  // Attempt folders of dead attempts are discarded; scratch/ is kept for resumption.
  for (const e of Deno.readDirSync(work)) {
    if (e.isDirectory && e.name.startsWith("out-")) removeTree(path.join(work, e.name));
  }
  const outDir = path.join(work, `out-${tempName("a")}`);
  const scratchDir = path.join(work, "scratch");
  if (spec.force) {
    // A forced run starts over: no resume state, no time carried from earlier attempts.
    removeTree(scratchDir);
    clearElapsed(work);
    log(
      committed
        ? `--force: recomputing ${spec.id} from scratch; the committed artifact stays valid ` +
          "until the new one is committed"
        : `--force: computing ${spec.id} from scratch (resume state discarded)`,
    );
  }
  Deno.mkdirSync(outDir, { recursive: true });
  Deno.mkdirSync(scratchDir, { recursive: true });
  log(`=== ${spec.id} key ${key} device ${spec.device} pid ${Deno.pid}`);
  const elapsed = trackElapsed(work, store.tmp);
  try {
    const failedInputs = spec.failedInputs ?? {};
    const inputs: Record<string, string> = {};
    for (const [name, up] of Object.entries(spec.inputs)) {
      if (name in failedInputs) log(`input ${name} (${up.id}) failed: ${failedInputs[name].error}`);
      else inputs[name] = store.materialize(up.key, state);
    }
    const mod = await import(spec.module) as Record<string, unknown>;
    const stage = findStage(mod, spec.kind);
    if (!stage) {
      throw new Error(
        `module ${spec.module} exports no stage of kind "${spec.kind}" ` +
          "(export it: `export const stage = defineStage({...})`)",
      );
    }
    const params = stage.params.parse(spec.params);
    const signal = hooks.signal ?? new AbortController().signal;
    const ctx: StageContext<unknown> = {
      params,
      key,
      inputs,
      inputKeys: Object.fromEntries(Object.entries(spec.inputs).map(([n, up]) => [n, up.key])),
      failedInputs,
      projectRoot: spec.projectRoot,
      outDir,
      scratchDir,
      device: spec.device,
      log,
      progress: (done, total, note) => {
        elapsed.progress(done, total);
        hooks.progress?.(done, total, note);
      },
      signal,
      obtain: (name) => obtainOnDemand(store, spec, name, { ...hooks, signal, log }),
    };
    await stage.run(ctx);
    if (hooks.signal?.aborted) throw new Error("interrupted");
    const missing = spec.outputs.filter((o) => !exists(path.join(outDir, o)));
    if (missing.length > 0) {
      throw new Error(
        `declared output${missing.length > 1 ? "s" : ""} not written: ${missing.join(", ")}`,
      );
    }
    const total = elapsed.stop();
    const missingInputs = Object.fromEntries(
      Object.entries(failedInputs).map(([n, f]) => [n, f.key]),
    );
    store.commit(
      key,
      outDir,
      { id: spec.id, kind: spec.kind, seconds: total.seconds, missingInputs },
      state,
    );
    removeTree(outDir);
    removeTree(scratchDir);
    clearElapsed(work);
    const over = total.attempts > 1 ? ` (${total.seconds}s over ${total.attempts} attempts)` : "";
    log(`committed in ${seconds()}s${over}${committed ? "; replaced the earlier artifact" : ""}`);
    return finish({
      ok: true,
      totalSeconds: total.seconds,
      ...(committed ? { forced: true } : {}),
    });
  } catch (e) {
    elapsed.stop();
    const err = e instanceof Error ? e : new Error(String(e));
    log(`FAILED: ${err.stack ?? err.message}`);
    removeTree(outDir);
    return finish({ ok: false, error: err.message.split("\n")[0] });
  }
}

/** True when two artifacts hold the same files with the same bytes. */
function sameFiles(a: Manifest, b: Manifest): boolean {
  const names = Object.keys(a.files);
  return names.length === Object.keys(b.files).length &&
    names.every((n) => a.files[n].digest === b.files[n]?.digest);
}

/**
 * The earlier version of `spec` to reuse, or undefined: it is committed and intact, complete
 * (no missing inputs), and each input of `spec` holds the same bytes as the input it was made
 * from. `spec.previous` names the same inputs as `spec` (`reusableEntry` in the lock file).
 */
function reusableVersion(
  store: Store,
  spec: InstanceSpec,
  state: StateCache,
): Manifest | undefined {
  const prev = spec.previous;
  if (!prev || Object.keys(spec.failedInputs ?? {}).length > 0) return undefined;
  for (const [n, { key: now }] of Object.entries(spec.inputs)) {
    const was = prev.inputs[n];
    if (was === now) continue;
    const a = store.readManifest(was), b = store.readManifest(now);
    if (!a || !b || a.missingInputs || b.missingInputs || !sameFiles(a, b)) return undefined;
  }
  const v = store.verify(prev.key, state);
  return v.ok && !v.manifest.missingInputs ? v.manifest : undefined;
}

/**
 * Runs the on-demand input `name` of the instance `spec` (and whatever it reads that is not
 * committed yet) in this process, each through `executeInstance` under its own key, and returns
 * the directory of its outputs.
 */
async function obtainOnDemand(
  store: Store,
  spec: InstanceSpec,
  name: string,
  hooks: InstanceHooks & { log(line: string): void },
): Promise<string> {
  const chain = spec.onDemand?.[name];
  if (!chain) {
    const known = Object.keys(spec.onDemand ?? {}).join(", ") || "none";
    throw new Error(`${spec.id}: no on-demand input "${name}" (declared: ${known})`);
  }
  for (const sub of chain) {
    if (hooks.signal?.aborted) throw new Error("interrupted");
    if (store.verify(sub.key, new StateCache(store.stateFile).load()).ok) continue;
    writeSpec(store, sub);
    hooks.log(`obtaining ${sub.id} (${sub.key.slice(0, 12)}…)`);
    const res = await executeInstance(store.root, sub.key, {
      signal: hooks.signal,
      progress: hooks.progress,
      log: (line) => hooks.log(`  [${sub.id}] ${line}`),
    });
    if (!res.ok) {
      throw new Error(`on-demand ${sub.id} failed: ${res.error} (log: ${store.logPath(sub.key)})`);
    }
    removeTree(store.workDir(sub.key));
  }
  const target = chain[chain.length - 1];
  return store.materialize(target.key, new StateCache(store.stateFile).load());
}
