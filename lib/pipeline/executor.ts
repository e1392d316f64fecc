/**
 * Executors run instances whose spec is already in the store. The runner hands each ready
 * instance to `submit`; the local pool runs `run_instance.ts` as a child process per instance
 * (crash isolation, kill -9 safe). A cluster executor implements the same interface by
 * submitting a job that runs the same command: it needs only the store path and the key.
 *
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { executeInstance, type InstanceResult, resultPath } from "./instance_exec.ts";
import { EVENT_PREFIX } from "./run_instance.ts";
import type { Resources } from "./stage.ts";
import { Store } from "./store.ts";

/** One unit of work for an executor. */
export interface Task {
  key: string;
  id: string;
  kind: string;
  /** Absolute store path; the spec is at `<store>/work/<key>/spec.json`. */
  storePath: string;
  resources: Resources;
  device: string;
  /**
   * `--force`: the instance is recomputed even though it may be committed. The spec in the
   * store carries it too (`spec.json`), so a process started from the key alone knows.
   */
  force?: boolean;
}

/** Callbacks an executor calls while a task runs. */
export interface TaskEvents {
  progress(done: number, total: number, note?: string): void;
  log(line: string): void;
}

/** How a task ended. */
export interface TaskOutcome extends InstanceResult {
  /** The process exit code, when the task ran as a process. */
  exitCode?: number;
}

/** Runs tasks. The runner bounds concurrency with `--jobs`; an executor may queue further. */
export interface Executor {
  readonly name: string;
  /** Runs one task to its end; resolves (never rejects) with the outcome. */
  submit(task: Task, events: TaskEvents): Promise<TaskOutcome>;
  /** Stops every running task (SIGTERM, then SIGKILL after a grace period). */
  cancelAll(): Promise<void>;
}

const RUN_INSTANCE = fileURLToPath(new URL("./run_instance.ts", import.meta.url));

function findDenoRoot(start: string): string {
  let d = start;
  for (;;) {
    try {
      Deno.statSync(path.join(d, "deno.json"));
      return d;
    } catch {
      const up = path.dirname(d);
      if (up === d) return start;
      d = up;
    }
  }
}

/**
 * The command line that runs one instance as its own process. `IDIM_DENO_FLAGS` (space-separated)
 * adds flags to it, e.g. `--cached-only --node-modules-dir=manual --no-lock` on an offline machine
 * whose node_modules holds only what the run needs (bench/gpu/run_pipeline.sh).
 */
export function instanceCommand(task: Task): { cmd: string; args: string[]; cwd: string } {
  const extra = (Deno.env.get("IDIM_DENO_FLAGS") ?? "").split(" ").filter(Boolean);
  const args = ["run", "-A", "-q", ...extra];
  if (task.resources.memoryMiB) {
    args.push(
      `--v8-flags=--max-old-space-size=${Math.max(512, Math.round(task.resources.memoryMiB))}`,
    );
  }
  args.push(RUN_INSTANCE, "--store", task.storePath, "--key", task.key);
  return { cmd: Deno.execPath(), args, cwd: findDenoRoot(path.dirname(RUN_INSTANCE)) };
}

/** The local pool: one child process per instance. */
export class LocalExecutor implements Executor {
  readonly name = "local";
  #children = new Set<Deno.ChildProcess>();

  async submit(task: Task, events: TaskEvents): Promise<TaskOutcome> {
    const { cmd, args, cwd } = instanceCommand(task);
    const started = performance.now();
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(cmd, {
        args: [...args, "--watch-stdin"],
        cwd,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { IDIM_DEVICE: task.device, NO_COLOR: "1" },
      }).spawn();
    } catch (e) {
      return {
        ok: false,
        error: `cannot start ${cmd}: ${(e as Error).message}`,
        seconds: 0,
        state: [],
      };
    }
    this.#children.add(child);
    const pump = async (stream: ReadableStream<Uint8Array>, parseEvents: boolean) => {
      const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      const line = (l: string) => {
        if (parseEvents && l.startsWith(EVENT_PREFIX)) {
          try {
            const ev = JSON.parse(l.slice(1));
            if (ev.t === "progress") events.progress(ev.done, ev.total, ev.note);
            else if (ev.t === "log") events.log(ev.line);
          } catch { /* ignore a garbled event */ }
        } else if (l.trim() !== "") {
          events.log(l);
          appendLog(task, l);
        }
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          line(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      }
      if (buf) line(buf);
    };
    const [status] = await Promise.all([
      child.status,
      pump(child.stdout, true),
      pump(child.stderr, false),
    ]);
    try {
      await child.stdin.close();
    } catch { /* already closed */ }
    this.#children.delete(child);
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    let result: InstanceResult | undefined;
    try {
      result = JSON.parse(Deno.readTextFileSync(resultPath(new Store(task.storePath), task.key)));
    } catch { /* no result: the process died */ }
    if (status.success && result?.ok) return { ...result, exitCode: status.code };
    const how = status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
    return {
      ok: false,
      error: result && !result.ok && result.error
        ? result.error
        : `instance process ended (${how})`,
      seconds,
      state: result?.state ?? [],
      exitCode: status.code,
    };
  }

  async cancelAll(): Promise<void> {
    const children = [...this.#children];
    for (const c of children) {
      try {
        c.kill("SIGTERM");
      } catch { /* gone */ }
    }
    const timer = setTimeout(() => {
      for (const c of children) {
        try {
          c.kill("SIGKILL");
        } catch { /* gone */ }
      }
    }, 5000);
    await Promise.allSettled(children.map((c) => c.status));
    clearTimeout(timer);
  }
}

function appendLog(task: Task, line: string): void {
  try {
    const store = new Store(task.storePath);
    Deno.writeTextFileSync(store.logPath(task.key), `${new Date().toISOString()} [out] ${line}\n`, {
      append: true,
    });
  } catch { /* log folder gone */ }
}

/** Runs instances inside this process: no crash isolation; for tests and benchmarks. */
export class InProcessExecutor implements Executor {
  readonly name = "inprocess";
  #ac = new AbortController();

  async submit(task: Task, events: TaskEvents): Promise<TaskOutcome> {
    try {
      return await executeInstance(task.storePath, task.key, {
        progress: events.progress,
        log: events.log,
        signal: this.#ac.signal,
      });
    } catch (e) {
      return { ok: false, error: (e as Error).message, seconds: 0, state: [] };
    }
  }

  cancelAll(): Promise<void> {
    this.#ac.abort();
    return Promise.resolve();
  }
}
