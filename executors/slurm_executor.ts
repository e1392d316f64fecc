/**
 * The Slurm executor: runs each ready stage instance as a Slurm batch job, behind the engine's
 * `Executor` interface (it reaches the engine only through `lib/pipeline/executor_plugin.ts`;
 * the Slurm logic it drives lives in `lib/cluster/`). Instances handed over together (a wave of a sweep) that share a stage
 * kind and placement become one job array. Every job runs the core's instance process
 * (`run_instance.ts --store <store> --key <key>`), so stages know nothing of Slurm and the
 * store's atomic commit applies on the cluster too.
 *
 * Instances are submitted as they become ready (the runner decides readiness), so a failed job
 * never leaves a dependent pending in the queue: dependents are simply never submitted.
 *
 * Monitoring needs no accounting database: each job writes an exit-status file into the
 * store's work area; `squeue --states=all` (and `scontrol show job` for details) tells pending,
 * running, cancelled and timed-out jobs apart while the controller remembers them.
 *
 * After a crash of the pipeline process its jobs keep running. Each submission is journaled in
 * `work/<key>/slurm-job.json`; a rerun adopts a job that is still queued or running instead of
 * submitting a duplicate, and resubmits only instances whose job is gone.
 *
 * @module
 */
import * as path from "node:path";
import {
  EVENT_PREFIX,
  type Executor,
  instanceCommand,
  instanceLogPath,
  type InstanceResult,
  readInstanceResult,
  type Task,
  type TaskEvents,
  type TaskOutcome,
  writeFileAtomic,
} from "../lib/pipeline/mod.ts";
import {
  type BatchSpec,
  describeEnd,
  type JobInfo,
  jobPhase,
  type JobPlacement,
  type JobStatus,
  KEY_PLACEHOLDER,
  outputPath,
  placementFor,
  readFrom,
  readJournal,
  readStatus,
  removeJournal,
  renderBatchScript,
  scriptDir,
  SlurmCli,
  type SlurmOptions,
  statusPath,
  tailLines,
  tryRemove,
  writeJournal,
} from "../lib/cluster/mod.ts";

/** A task the executor is responsible for, from hand-over to outcome. */
interface Tracked {
  task: Task;
  events: TaskEvents;
  resolve(outcome: TaskOutcome): void;
  /** `123` or `123_4`, once submitted or adopted. */
  job?: string;
  /** The id squeue/scancel take for the whole job (`123` for an array element `123_4`). */
  baseJob?: string;
  adopted?: boolean;
  /** Read offset in the instance process's output file. */
  outOffset: number;
  /** Last Slurm state seen, for messages. */
  lastState?: string;
  lastInfo?: JobInfo;
  /** When the job was first seen ended (or unknown) without a final status file (ms). */
  endSeenAt?: number;
  started: number;
  done: boolean;
}

/** One group of tasks that becomes one sbatch submission. */
export interface PlannedBatch {
  kind: string;
  placement: JobPlacement;
  tasks: Task[];
  /** The batch script's description, rendered by `renderBatch`. */
  spec: BatchSpec;
}

const TAIL_LINES = 15;

/**
 * Groups tasks into batches: same kind, same placement and device, at most `maxArraySize` each
 * (one task per batch when arrays are off). Order is kept within a group.
 */
export function planBatches(
  tasks: Task[],
  opts: SlurmOptions,
  scriptFolder?: string,
): PlannedBatch[] {
  const groups = new Map<string, { kind: string; placement: JobPlacement; tasks: Task[] }>();
  for (const t of tasks) {
    const placement = placementFor(t.kind, t.resources, opts);
    const sig = JSON.stringify([t.kind, t.device, t.storePath, placement, t.resources.memoryMiB]);
    let g = groups.get(sig);
    if (!g) groups.set(sig, g = { kind: t.kind, placement, tasks: [] });
    g.tasks.push(t);
  }
  const batches: PlannedBatch[] = [];
  const size = opts.arrays ? Math.max(1, opts.maxArraySize) : 1;
  for (const g of groups.values()) {
    for (let i = 0; i < g.tasks.length; i += size) {
      const chunk = g.tasks.slice(i, i + size);
      batches.push({
        kind: g.kind,
        placement: g.placement,
        tasks: chunk,
        spec: batchSpec(g.kind, g.placement, chunk, opts, scriptFolder),
      });
    }
  }
  return batches;
}

function batchSpec(
  kind: string,
  placement: JobPlacement,
  tasks: Task[],
  opts: SlurmOptions,
  scriptFolder?: string,
): BatchSpec {
  const first = tasks[0];
  const cmd = instanceCommand(first);
  const args = [...cmd.args];
  const k = args.indexOf("--key");
  if (k < 0 || args[k + 1] !== first.key) {
    throw new Error("the core's instance command no longer has the form `… --key <key>`");
  }
  args[k + 1] = KEY_PLACEHOLDER;
  const folder = scriptFolder ?? scriptDir(first.storePath);
  return {
    jobName: `${opts.jobName}-${kind}`.replace(/[^A-Za-z0-9_.-]/g, "_"),
    kind,
    keys: tasks.map((t) => t.key),
    ids: tasks.map((t) => t.id),
    placement,
    storePath: first.storePath,
    command: { cmd: opts.deno ?? cmd.cmd, args, cwd: cmd.cwd },
    env: { IDIM_DEVICE: first.device, NO_COLOR: "1" },
    setup: opts.setup,
    slurmOutput: path.join(folder, tasks.length > 1 ? "%A_%a.slurm.out" : "%j.slurm.out"),
    requeue: opts.requeue,
    arrayParallelism: tasks.length > 1 ? opts.arrayParallelism : undefined,
  };
}

/** The batch scripts a run would submit for these tasks (for `--dry-run`). */
export function renderDryRun(tasks: Task[], opts: SlurmOptions): string {
  const parts: string[] = [];
  for (const b of planBatches(tasks, opts)) {
    parts.push(
      `# ---- sbatch: ${b.tasks.length} instance${b.tasks.length > 1 ? "s" : ""} of ${b.kind}` +
        " (submitted when their inputs are committed) ----",
      renderBatchScript(b.spec),
    );
  }
  return parts.join("\n");
}

/** Options of the executor beyond the resolved settings. */
export interface SlurmExecutorInit {
  /** The Slurm client (default: the real commands with `opts.env`). */
  cli?: SlurmCli;
  /** Called with short human-readable notices (submissions, adoptions). */
  notify?: (message: string) => void;
}

/** Runs instances as Slurm jobs. */
export class SlurmExecutor implements Executor {
  readonly name = "slurm";
  readonly cli: SlurmCli;
  #opts: SlurmOptions;
  #notify: (m: string) => void;
  #pending: Tracked[] = [];
  #flushTimer?: ReturnType<typeof setTimeout>;
  #flushing: Promise<void> = Promise.resolve();
  #active = new Set<Tracked>();
  #pollTimer?: ReturnType<typeof setTimeout>;
  #polling = false;
  #lastSqueue = 0;
  #cancelled = false;
  #batchCounter = 0;

  constructor(opts: SlurmOptions, init: SlurmExecutorInit = {}) {
    this.#opts = opts;
    this.cli = init.cli ?? new SlurmCli(opts.env);
    this.#notify = init.notify ?? (() => {});
  }

  /** Job ids (`123`, `123_4`) of the instances still running or queued. */
  activeJobs(): string[] {
    return [...this.#active].filter((t) => t.job && !t.done).map((t) => t.job!);
  }

  submit(task: Task, events: TaskEvents): Promise<TaskOutcome> {
    return new Promise<TaskOutcome>((resolve) => {
      const t: Tracked = {
        task,
        events,
        resolve,
        outOffset: 0,
        started: performance.now(),
        done: false,
      };
      if (this.#cancelled) {
        resolve(this.#outcome(t, false, "not submitted: the pipeline was interrupted"));
        return;
      }
      this.#pending.push(t);
      this.#flushTimer ??= setTimeout(() => {
        this.#flushTimer = undefined;
        this.#flushing = this.#flushing.then(() => this.#flush());
      }, this.#opts.batchWindowMs);
    });
  }

  async cancelAll(): Promise<void> {
    this.#cancelled = true;
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    for (const t of this.#pending.splice(0)) {
      this.#finish(t, this.#outcome(t, false, "not submitted: the pipeline was interrupted"));
    }
    await this.#flushing;
    const live = [...this.#active].filter((t) => !t.done && t.job);
    if (live.length === 0) return;
    const ids = [...new Set(live.map((t) => t.job!))];
    this.#notify(
      `cancelling ${ids.length} Slurm job${ids.length > 1 ? "s" : ""}: scancel ${ids.join(" ")}`,
    );
    try {
      await this.cli.cancel(ids);
    } catch (e) {
      this.#notify(`scancel failed: ${(e as Error).message}`);
    }
    // Wait (bounded) until the controller no longer runs them, so nothing writes after we return.
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline) {
      let infos: Map<string, JobInfo>;
      try {
        infos = await this.cli.queue([...new Set(live.map((t) => t.baseJob!))]);
      } catch {
        break;
      }
      if (live.every((t) => jobPhase(infos.get(t.job!)?.state ?? "") !== "active")) break;
      await sleep(250);
    }
    for (const t of live) {
      removeJournal(t.task.storePath, t.task.key);
      this.#finish(
        t,
        this.#outcome(t, false, `Slurm job ${t.job} cancelled: the pipeline was interrupted`),
      );
    }
  }

  // ---- submission -------------------------------------------------------------------------

  async #flush(): Promise<void> {
    const batch = this.#pending.splice(0);
    if (batch.length === 0 || this.#cancelled) {
      for (const t of batch) {
        this.#finish(t, this.#outcome(t, false, "not submitted: the pipeline was interrupted"));
      }
      return;
    }
    const fresh = await this.#adopt(batch);
    const byTask = new Map(fresh.map((t) => [t.task, t]));
    let planned: PlannedBatch[];
    try {
      planned = planBatches(fresh.map((t) => t.task), this.#opts);
    } catch (e) {
      for (const t of fresh) this.#finish(t, this.#outcome(t, false, (e as Error).message));
      return;
    }
    for (const b of planned) {
      const tracked = b.tasks.map((task) => byTask.get(task)!);
      await this.#submitBatch(b, tracked);
    }
    this.#schedulePoll(0);
  }

  /** Tasks whose journaled job is still queued or running are adopted; the rest are returned. */
  async #adopt(batch: Tracked[]): Promise<Tracked[]> {
    const journaled = batch
      .map((t) => ({ t, j: readJournal(t.task.storePath, t.task.key) }))
      .filter((x) => x.j !== undefined);
    if (journaled.length === 0) return batch;
    let infos = new Map<string, JobInfo>();
    try {
      infos = await this.cli.queue([...new Set(journaled.map((x) => x.j!.job.split("_")[0]))]);
    } catch (e) {
      this.#notify(`squeue failed, resubmitting instead of adopting: ${(e as Error).message}`);
    }
    const adopted = new Set<Tracked>();
    for (const { t, j } of journaled) {
      const info = infos.get(j!.job);
      if (info && jobPhase(info.state) === "active") {
        t.job = j!.job;
        t.baseJob = j!.job.split("_")[0];
        t.adopted = true;
        t.lastState = info.state;
        this.#active.add(t);
        adopted.add(t);
        t.events.log(`adopted Slurm job ${t.job} (${info.state}) submitted earlier by ${j!.by}`);
      } else {
        removeJournal(t.task.storePath, t.task.key);
      }
    }
    if (adopted.size > 0) {
      this.#notify(
        `adopted ${adopted.size} Slurm job${adopted.size > 1 ? "s" : ""} still queued or running`,
      );
    }
    return batch.filter((t) => !adopted.has(t));
  }

  async #submitBatch(b: PlannedBatch, tracked: Tracked[]): Promise<void> {
    const folder = scriptDir(b.spec.storePath);
    let scriptFile = "";
    try {
      Deno.mkdirSync(folder, { recursive: true });
      this.#batchCounter += 1;
      const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
      scriptFile = path.join(
        folder,
        `${stamp}-${Deno.pid}-${this.#batchCounter}-${b.kind.replace(/[^A-Za-z0-9_.-]/g, "_")}.sh`,
      );
      writeFileAtomic(scriptFile, renderBatchScript(b.spec));
      // Files of earlier jobs of these keys would be mistaken for the new job's if the cluster
      // reuses a job id (a controller started afresh counts from 1 again).
      for (const t of tracked) removeOldJobFiles(t.task.storePath, t.task.key);
      const jobId = await this.cli.submit(scriptFile);
      tracked.forEach((t, i) => {
        t.job = b.tasks.length > 1 ? `${jobId}_${i}` : jobId;
        t.baseJob = jobId;
        writeJournal(t.task.storePath, {
          job: t.job,
          key: t.task.key,
          id: t.task.id,
          script: scriptFile,
          submitted: new Date().toISOString(),
        });
        this.#active.add(t);
        t.events.log(`submitted as Slurm job ${t.job}`);
      });
      this.#notify(
        `submitted ${
          b.tasks.length > 1
            ? `job array ${jobId} (${b.tasks.length} × ${b.kind})`
            : `job ${jobId} (${b.tasks[0].id})`
        }`,
      );
      if (this.#cancelled) await this.cli.cancel([jobId]);
    } catch (e) {
      for (const t of tracked) {
        this.#finish(t, this.#outcome(t, false, `cannot submit to Slurm: ${(e as Error).message}`));
      }
    }
  }

  // ---- monitoring -------------------------------------------------------------------------

  #schedulePoll(delayMs: number): void {
    if (this.#pollTimer !== undefined || this.#polling) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      this.#polling = true;
      this.#poll().catch((e) => this.#notify(`Slurm monitor: ${(e as Error).message}`)).finally(
        () => {
          this.#polling = false;
          if ([...this.#active].some((t) => !t.done)) {
            this.#schedulePoll(this.#opts.pollSeconds * 1000);
          }
        },
      );
    }, delayMs);
  }

  async #poll(): Promise<void> {
    const live = [...this.#active].filter((t) => !t.done && t.job);
    const undecided: Tracked[] = [];
    for (const t of live) {
      this.#pumpOutput(t);
      const st = readStatus(t.task.storePath, t.task.key, t.job!);
      if (st?.state === "exited") await this.#concludeFromStatus(t, st);
      else undecided.push(t);
    }
    const now = performance.now();
    const squeueDue = now - this.#lastSqueue >= this.#opts.squeueSeconds * 1000 ||
      undecided.some((t) => t.endSeenAt !== undefined);
    if (undecided.length === 0 || !squeueDue) return;
    this.#lastSqueue = now;
    const infos = await this.cli.queue([...new Set(undecided.map((t) => t.baseJob!))]);
    for (const t of undecided) {
      if (t.done) continue;
      const info = infos.get(t.job!);
      if (info) t.lastInfo = info;
      const phase = info ? jobPhase(info.state) : "unknown";
      if (phase === "active") {
        if (info!.state !== t.lastState) {
          t.events.log(
            `Slurm job ${t.job}: ${info!.state}${
              info!.reason !== "None" ? ` (${info!.reason})` : ""
            }`,
          );
          t.lastState = info!.state;
        }
        continue;
      }
      // Ended or forgotten without a final status file (yet): the job was killed before it
      // could write one, or the shared file system shows the file late. Wait a grace period.
      t.endSeenAt ??= now;
      const st = readStatus(t.task.storePath, t.task.key, t.job!);
      if (st?.state === "exited") {
        await this.#concludeFromStatus(t, st);
        continue;
      }
      const graceOver = now - t.endSeenAt >= this.#opts.statusGraceSeconds * 1000;
      const killed = info &&
        ["CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY"]
          .includes(info.state.split(/\s+/)[0]);
      // A job killed by Slurm gets its SIGKILL KillWait seconds after SIGTERM; give the status
      // file a few polls, then judge by the controller's state.
      const killedWait = Math.min(this.#opts.statusGraceSeconds, 15) * 1000;
      if (graceOver || (killed && now - t.endSeenAt >= killedWait)) {
        await this.#concludeWithoutStatus(t, info, st);
      }
    }
  }

  /** Passes progress events and stray output lines of the instance process on. */
  #pumpOutput(t: Tracked): void {
    const { text, next } = readFrom(outputPath(t.task.storePath, t.task.key, t.job!), t.outOffset);
    t.outOffset = next;
    if (!text) return;
    for (const line of text.split("\n")) {
      if (line.startsWith(EVENT_PREFIX)) {
        try {
          const ev = JSON.parse(line.slice(EVENT_PREFIX.length));
          if (ev.t === "progress") t.events.progress(ev.done, ev.total, ev.note);
        } catch { /* a garbled event */ }
      } else if (line.trim() !== "") {
        t.events.log(line);
      }
    }
  }

  async #concludeFromStatus(t: Tracked, st: JobStatus): Promise<void> {
    this.#pumpOutput(t);
    const result = this.#readResult(t);
    if (st.exit === 0 && result?.ok) {
      this.#finish(t, { ...result, exitCode: 0 });
      return;
    }
    let why: string;
    if (st.signal) {
      // Ask the controller which: cancelled, timed out or preempted.
      const info = await this.cli.show(t.job!).catch(() => undefined) ?? t.lastInfo;
      if (info && jobPhase(info.state) === "active") {
        // It is still being torn down; decide on a later poll.
        t.lastInfo = info;
        if (t.endSeenAt === undefined) {
          t.endSeenAt = performance.now();
          return;
        }
        if (performance.now() - t.endSeenAt < 30_000) return;
      }
      why = info && jobPhase(info.state) === "failed"
        ? describeEnd(info)
        : `it received SIG${st.signal} (cancelled, time limit or preemption; the controller no longer says which)`;
    } else if (st.exit === 0) {
      why = "the instance process exited 0 but reported no successful result";
    } else {
      why = `the instance process exited with code ${st.exit}` +
        (result && !result.ok && result.error ? `: ${result.error}` : "");
    }
    this.#finish(t, this.#failure(t, why, result, st));
  }

  async #concludeWithoutStatus(
    t: Tracked,
    info: JobInfo | undefined,
    st: JobStatus | undefined,
  ): Promise<void> {
    this.#pumpOutput(t);
    const detail = info ? await this.cli.show(t.job!).catch(() => undefined) ?? info : undefined;
    const result = this.#readResult(t);
    if (detail && jobPhase(detail.state) === "completed") {
      // Completed, but its status file never appeared: trust the instance's own result.
      if (result?.ok) {
        this.#finish(t, { ...result, exitCode: 0 });
        return;
      }
      this.#finish(
        t,
        this.#failure(t, "it completed but wrote neither an exit status nor a result", result, st),
      );
      return;
    }
    const why = detail
      ? describeEnd(detail)
      : st
      ? `it is no longer known to Slurm and its last status was "${st.state}" (killed, or the controller restarted)`
      : "it is no longer known to Slurm and never wrote an exit status (it may not have started)";
    this.#finish(t, this.#failure(t, why, result, st));
  }

  #readResult(t: Tracked): InstanceResult | undefined {
    return readInstanceResult(t.task.storePath, t.task.key);
  }

  #seconds(t: Tracked, st?: JobStatus): number {
    if (st?.start && st.end) return st.end - st.start;
    return Math.round((performance.now() - t.started) / 10) / 100;
  }

  #failure(
    t: Tracked,
    why: string,
    result: InstanceResult | undefined,
    st?: JobStatus,
  ): TaskOutcome {
    const logFile = instanceLogPath(t.task.storePath, t.task.key);
    const lines = [`Slurm job ${t.job} failed: ${why}`];
    const logTail = tailLines(logFile, TAIL_LINES);
    const outFile = outputPath(t.task.storePath, t.task.key, t.job!);
    const outTail = tailLines(outFile, TAIL_LINES);
    if (logTail.length > 0) {
      lines.push(
        `  last lines of ${logFile}:`,
        ...logTail.map((l) => `  | ${l}`),
      );
    }
    if (outTail.length > 0) {
      lines.push(`  last lines of ${outFile}:`, ...outTail.map((l) => `  | ${l}`));
    }
    return {
      ok: false,
      error: lines.join("\n"),
      seconds: this.#seconds(t, st),
      state: result?.state ?? [],
      exitCode: st?.exit,
    };
  }

  #outcome(t: Tracked, ok: boolean, error: string): TaskOutcome {
    return { ok, error, seconds: this.#seconds(t), state: [] };
  }

  #finish(t: Tracked, outcome: TaskOutcome): void {
    if (t.done) return;
    t.done = true;
    this.#active.delete(t);
    if (t.job) {
      removeJournal(t.task.storePath, t.task.key);
      if (outcome.ok) {
        tryRemove(statusPath(t.task.storePath, t.task.key, t.job));
        tryRemove(outputPath(t.task.storePath, t.task.key, t.job));
        removeIfEmpty(path.join(scriptDir(t.task.storePath), `${t.job}.slurm.out`));
      }
    }
    t.resolve(outcome);
  }
}

function removeOldJobFiles(storePath: string, key: string): void {
  const dir = path.join(storePath, "work", key);
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (/^slurm-.+\.(status|out)$/.test(e.name)) tryRemove(path.join(dir, e.name));
    }
  } catch {
    // no work folder yet
  }
}

function removeIfEmpty(file: string): void {
  try {
    if (Deno.statSync(file).size === 0) Deno.removeSync(file);
  } catch {
    // absent
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
