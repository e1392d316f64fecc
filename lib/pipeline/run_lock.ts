/**
 * The store's run lock: an exclusive advisory lock (flock) on `store/lock`, so two pipeline
 * invocations cannot write the same store at once. The kernel releases it when the holder dies,
 * even by kill -9, so there is no stale-lock cleanup. The file also records who holds it.
 *
 * @module
 */
import { hostname } from "node:os";
import { PipelineError } from "./errors.ts";

/** A held run lock. */
export interface RunLock {
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

function describeHolder(file: string): string {
  try {
    const h = JSON.parse(Deno.readTextFileSync(file)) as Holder;
    return `pid ${h.pid} on ${h.host}, since ${h.since}: ${h.command}`;
  } catch {
    return "another process";
  }
}

/**
 * Takes the run lock. When held by another invocation: with `wait`, prints a message and polls
 * until it is free; without, throws a PipelineError naming the holder.
 */
export async function acquireRunLock(
  file: string,
  opts: { wait: boolean; command: string; notify: (msg: string) => void; pollMs?: number },
): Promise<RunLock> {
  const f = Deno.openSync(file, { read: true, write: true, create: true });
  let told = false;
  for (;;) {
    let got = false;
    try {
      got = f.tryLockSync(true);
    } catch (e) {
      f.close();
      throw e;
    }
    if (got) break;
    if (!opts.wait) {
      f.close();
      throw new PipelineError(
        `the store ${file.replace(/\/lock$/, "")} is in use by ${describeHolder(file)}; ` +
          `not waiting (--no-wait)`,
        3,
      );
    }
    if (!told) {
      opts.notify(`waiting for the store lock held by ${describeHolder(file)} …`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
  const holder: Holder = {
    pid: Deno.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command: opts.command,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
  f.truncateSync(0);
  f.seekSync(0, Deno.SeekMode.Start);
  f.writeSync(bytes);
  if (told) opts.notify("store lock acquired");
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        f.truncateSync(0);
        f.unlockSync();
      } finally {
        f.close();
      }
    },
  };
}
