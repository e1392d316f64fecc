/**
 * The runner: decides which instances are cached (committed and verified in the store) and
 * which must run and why, then executes the rest in topological order on a bounded pool.
 * A failed instance does not stop independent branches; its dependents are skipped, except
 * those whose stage tolerates that input (`tolerates`): they run without it, and their artifact
 * records it as missing (partial), to be redone once the input is retried or committed.
 * An instance that must run only because an input's key changed is handed its earlier version
 * (the lock file's entry with the same code and params), which it reuses where it runs when every
 * input holds the same bytes as then (the early cut-off, `instance_exec.ts`).
 *
 * @module
 */
import * as path from "node:path";
import type { Dag, Instance } from "./dag.ts";
import type { Executor } from "./executor.ts";
import { removeTree } from "./fsutil.ts";
import { instanceSpec, writeSpec } from "./instance_exec.ts";
import {
  entryFor,
  lockByKind,
  type LockData,
  type LockEntry,
  previousEntry,
  readLock,
  reusableEntry,
  staleReasons,
  writeLock,
} from "./lock_file.ts";
import type { StateCache } from "./state.ts";
import type { FailedInput } from "./stage.ts";
import type { Manifest, Store } from "./store.ts";

/** True when `inst`'s stage accepts the failure of its input `name`. */
export function toleratesInput(inst: Instance, name: string): boolean {
  const t = inst.stage.tolerates?.(inst.params as never);
  return t === "all" || (t !== undefined && t.includes(name));
}

/**
 * Why a cached artifact must be redone because it is partial: one of the inputs it missed is
 * committed now or will run in this invocation, or an input it read is itself being redone.
 */
function partialReasons(
  inst: Instance,
  manifest: Manifest,
  dag: Dag,
  willRun: Set<Instance>,
  redone: Set<Instance>,
  store: Store,
): string[] {
  const out: string[] = [];
  for (const [name, key] of Object.entries(manifest.missingInputs ?? {})) {
    const up = dag.byKey.get(key);
    if (up && willRun.has(up)) out.push(`partial: missing input ${name} (${up.id}) is retried`);
    else if (store.readManifest(key)) out.push(`partial: missing input ${name} is available now`);
  }
  for (const [name, up] of Object.entries(inst.inputs)) {
    if (redone.has(up)) out.push(`input ${name} (${up.id}) is redone`);
  }
  return out;
}
/** The verdict on one instance before running. */
export interface Verdict {
  inst: Instance;
  /** `cached`: committed and verified; `run`: must (re)compute. */
  action: "cached" | "run";
  /** Why it must run: new, params changed, code changed, input changed, forced, output missing/corrupt. */
  reasons: string[];
  manifest?: Manifest;
  /** `--force`: recompute from scratch even if committed (the old artifact stays until then). */
  forced?: boolean;
}

/** Receives run events; the progress display implements it. */
export interface Reporter {
  begin(total: number, toRun: number): void;
  started(inst: Instance): void;
  progress(inst: Instance, done: number, total: number, note?: string): void;
  log(inst: Instance, line: string): void;
  /** `detail`: the error of a failure or skip, the reused key of `reused`. */
  finished(
    inst: Instance,
    outcome: "done" | "reused" | "failed" | "skipped",
    seconds: number,
    detail?: string,
  ): void;
  message(text: string): void;
  end(): void;
}

/** One failure in the summary. */
export interface Failure {
  inst: Instance;
  error: string;
  logPath: string;
}

/** What a run did. */
export interface RunSummary {
  cached: number;
  ran: number;
  /** Of `ran`: committed artifacts recomputed and replaced because of `--force`. */
  replaced: number;
  /**
   * Not in `ran`: instances that reused their earlier version's artifact because every input
   * came out byte for byte the same (the early cut-off).
   */
  reused: number;
  failed: Failure[];
  skipped: Instance[];
  interrupted: boolean;
}

/** Inputs of evaluate. */
export interface EvaluateOptions {
  dag: Dag;
  /** Instances to consider, topologically sorted. */
  considered: Instance[];
  /** Instances to rerun even when cached. */
  forced: Set<Instance>;
  store: Store;
  state: StateCache;
  lockFile: string;
  /** Delete corrupt blobs (false for dry-run and status: nothing written). */
  repair: boolean;
  warn(msg: string): void;
}

/** Decides, for each considered instance, whether it is cached or must run, and why. */
export function evaluate(opts: EvaluateOptions): Verdict[] {
  const verdicts: Verdict[] = [];
  let lock: LockData | undefined;
  let byKind: Map<string, [string, LockEntry][]> | undefined;
  let planned: Set<string> | undefined;
  const judge = (inst: Instance, extra: string[]) => {
    lock ??= readLock(opts.lockFile, opts.warn);
    byKind ??= lockByKind(lock);
    planned ??= new Set(opts.dag.byId.keys());
    const prev = previousEntry(inst, lock, byKind, planned);
    const base = staleReasons(inst, prev);
    if (base.length === 0) return extra;
    const mayReuse = reusableEntry(inst, prev) !== undefined;
    return [
      ...base,
      ...(mayReuse ? ["reused instead if its inputs come out byte for byte the same"] : []),
      ...extra.filter((r) => !r.startsWith("output missing")),
    ];
  };
  const storeExists = opts.store.exists();
  const willRun = new Set<Instance>();
  const redone = new Set<Instance>();
  for (const inst of opts.considered) {
    if (opts.forced.has(inst)) {
      const committed = storeExists && opts.store.hasArtifact(inst.key);
      verdicts.push({
        inst,
        action: "run",
        reasons: [committed ? "forced (the committed artifact is recomputed)" : "forced"],
        forced: true,
      });
      willRun.add(inst);
      continue;
    }
    const v = storeExists
      ? opts.store.verify(inst.key, opts.state, opts.repair)
      : { ok: false as const, reason: "missing" as const, detail: "" };
    if (v.ok) {
      const partial = partialReasons(inst, v.manifest, opts.dag, willRun, redone, opts.store);
      if (partial.length > 0) {
        // The artifact is dropped so that the attempt recomputes instead of finding it done.
        if (opts.repair) opts.store.dropArtifact(inst.key);
        verdicts.push({ inst, action: "run", reasons: partial });
        willRun.add(inst);
        redone.add(inst);
        continue;
      }
      verdicts.push({ inst, action: "cached", reasons: [], manifest: v.manifest });
      continue;
    }
    willRun.add(inst);
    if (v.reason === "corrupt") {
      opts.warn(`corrupt artifact of ${inst.id}: ${v.detail}; it will be recomputed`);
      if (opts.repair) opts.store.dropArtifact(inst.key);
      verdicts.push({ inst, action: "run", reasons: judge(inst, [`output corrupt`]) });
    } else {
      verdicts.push({ inst, action: "run", reasons: judge(inst, ["output missing"]) });
    }
  }
  return verdicts;
}

/** Inputs of execute. */
export interface ExecuteOptions {
  dag: Dag;
  verdicts: Verdict[];
  store: Store;
  state: StateCache;
  executor: Executor;
  reporter: Reporter;
  jobs: number;
  device: string;
  projectRoot: string;
  lockFile: string;
  signal: AbortSignal;
  warn(msg: string): void;
}

/** Runs the instances judged `run`, publishes outputs, writes the lock file and state cache. */
export async function execute(opts: ExecuteOptions): Promise<RunSummary> {
  const { store, state, reporter } = opts;
  const summary: RunSummary = {
    cached: 0,
    ran: 0,
    replaced: 0,
    reused: 0,
    failed: [],
    skipped: [],
    interrupted: false,
  };
  const manifests = new Map<Instance, Manifest>();
  const publishErrors: Failure[] = [];
  const publish = (inst: Instance, m: Manifest) => {
    if (!inst.publish) return;
    try {
      store.publish(m, path.resolve(opts.projectRoot, inst.publish));
    } catch (e) {
      publishErrors.push({
        inst,
        error: `publishing to ${inst.publish} failed: ${(e as Error).message}`,
        logPath: store.logPath(inst.key),
      });
    }
  };
  const toRun: Instance[] = [];
  const forced = new Set(opts.verdicts.filter((v) => v.forced).map((v) => v.inst));
  let lockNow: LockData | undefined;
  const previous = (inst: Instance) =>
    reusableEntry(inst, (lockNow ??= readLock(opts.lockFile, opts.warn)).get(inst.id));
  for (const v of opts.verdicts) {
    if (v.action === "cached" && v.manifest) {
      manifests.set(v.inst, v.manifest);
      summary.cached += 1;
      publish(v.inst, v.manifest);
    } else toRun.push(v.inst);
  }
  reporter.begin(opts.verdicts.length, toRun.length);

  const waiting = new Set(toRun);
  const done = new Set<Instance>(manifests.keys());
  const failed = new Set<Instance>();
  const running = new Map<Instance, Promise<void>>();
  let usedSlots = 0;
  const slotsOf = (i: Instance) => Math.min(opts.jobs, Math.max(1, i.resources.cpus ?? 1));
  // An input outside the considered set that is committed counts as done.
  const inputReady = (up: Instance) => {
    if (done.has(up)) return true;
    if (waiting.has(up) || running.has(up) || failed.has(up)) return false;
    const m = store.readManifest(up.key);
    if (m) {
      done.add(up);
      return true;
    }
    return false;
  };
  const lost = (up: Instance) => failed.has(up) || summary.skipped.includes(up);
  const blockedBy = (inst: Instance) =>
    Object.entries(inst.inputs).find(([name, up]) => lost(up) && !toleratesInput(inst, name))
      ?.[1];
  // A tolerated input that failed or was skipped is settled: the instance runs without it.
  const settled = (inst: Instance) =>
    Object.entries(inst.inputs).every(([name, up]) =>
      inputReady(up) || (lost(up) && toleratesInput(inst, name))
    );
  const failedInputsOf = (inst: Instance): Record<string, FailedInput> => {
    const out: Record<string, FailedInput> = {};
    for (const [name, up] of Object.entries(inst.inputs)) {
      if (!lost(up)) continue;
      const f = summary.failed.find((x) => x.inst === up);
      const cause = f ? undefined : blockedBy(up);
      out[name] = {
        id: up.id,
        key: up.key,
        error: f ? f.error : `skipped: its input ${cause?.id ?? "(unavailable)"} failed`,
        log: store.logPath(up.key),
      };
    }
    return out;
  };

  const launch = (inst: Instance) => {
    waiting.delete(inst);
    const slots = slotsOf(inst);
    usedSlots += slots;
    reporter.started(inst);
    const spec = instanceSpec(inst, opts.device, opts.projectRoot, {
      force: forced.has(inst),
      failedInputs: failedInputsOf(inst),
      previous,
    });
    const p = (async () => {
      let outcome;
      try {
        writeSpec(store, spec);
        outcome = await opts.executor.submit(
          {
            key: inst.key,
            id: inst.id,
            kind: inst.kind,
            storePath: store.root,
            resources: inst.resources,
            device: opts.device,
            ...(forced.has(inst) ? { force: true } : {}),
          },
          {
            progress: (d, t, note) => reporter.progress(inst, d, t, note),
            log: (line) => reporter.log(inst, line),
          },
        );
      } catch (e) {
        outcome = { ok: false, error: (e as Error).message, seconds: 0, state: [] };
      }
      state.merge(outcome.state ?? []);
      const m = outcome.ok ? store.readManifest(inst.key) : undefined;
      if (outcome.ok && m) {
        manifests.set(inst, m);
        done.add(inst);
        if (outcome.adopted) summary.reused += 1;
        else summary.ran += 1;
        if (outcome.forced) summary.replaced += 1;
        removeTree(store.workDir(inst.key));
        publish(inst, m);
        if (outcome.forced) reporter.message(`${inst.id}: recomputed (--force); artifact replaced`);
        if (outcome.adopted) reporter.finished(inst, "reused", outcome.seconds, outcome.adopted);
        else reporter.finished(inst, "done", outcome.seconds);
      } else {
        failed.add(inst);
        const error = outcome.ok ? "no artifact was committed" : outcome.error ?? "failed";
        summary.failed.push({ inst, error, logPath: store.logPath(inst.key) });
        reporter.finished(inst, "failed", outcome.seconds, error);
      }
    })().finally(() => {
      usedSlots -= slots;
      running.delete(inst);
    });
    running.set(inst, p);
  };

  const abortP = new Promise<void>((r) => {
    if (opts.signal.aborted) r();
    else opts.signal.addEventListener("abort", () => r(), { once: true });
  });
  while (waiting.size > 0 || running.size > 0) {
    if (opts.signal.aborted) {
      if (running.size > 0) {
        await opts.executor.cancelAll();
        await Promise.allSettled(running.values());
      }
      summary.interrupted = true;
      break;
    }
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const inst of waiting) {
        const blocker = blockedBy(inst);
        if (blocker) {
          waiting.delete(inst);
          summary.skipped.push(inst);
          reporter.finished(inst, "skipped", 0, `input ${blocker.id} failed`);
          progressed = true;
          continue;
        }
        if (!settled(inst)) continue;
        if (usedSlots > 0 && usedSlots + slotsOf(inst) > opts.jobs) continue;
        launch(inst);
        progressed = true;
      }
    }
    if (running.size === 0) {
      // Nothing runnable and nothing running: the rest wait on inputs that cannot complete.
      for (const inst of waiting) {
        summary.skipped.push(inst);
        reporter.finished(inst, "skipped", 0, "inputs unavailable");
      }
      waiting.clear();
      break;
    }
    await Promise.race([...running.values(), abortP]);
  }
  summary.failed.push(...publishErrors);
  reporter.end();

  // Lock file: completed instances get fresh entries; others keep their previous record.
  const everyDone = opts.dag.instances.every((i) => manifests.has(i));
  const lock: LockData = new Map();
  const old = everyDone ? new Map() : readLock(opts.lockFile, opts.warn);
  for (const inst of opts.dag.instances) {
    let m = manifests.get(inst);
    if (!m && !failed.has(inst) && !waiting.has(inst)) {
      const prev = old.get(inst.id);
      if (!(prev && prev.key === inst.key)) m = store.readManifest(inst.key);
    }
    if (m) {
      const outputs: LockEntry["outputs"] = {};
      for (const [rel, f] of Object.entries(m.files)) {
        outputs[rel] = { digest: f.digest, size: f.size };
      }
      lock.set(inst.id, entryFor(inst, outputs));
    } else if (old.has(inst.id)) lock.set(inst.id, old.get(inst.id)!);
  }
  writeLock(opts.lockFile, lock);
  state.save(store.tmp);
  return summary;
}

/** The last lines of a log file. */
export function logTail(file: string, lines = 10): string[] {
  try {
    const text = Deno.readTextFileSync(file);
    return text.trimEnd().split("\n").slice(-lines);
  } catch {
    return [];
  }
}
