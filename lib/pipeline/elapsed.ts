/**
 * Time spent on one instance key over all its attempts: `work/<key>/elapsed.json` holds the
 * seconds and the number of attempts so far. It is rewritten every few seconds while an attempt
 * runs, so a killed attempt (even by `kill -9`) still counts up to its last save, and a resumed
 * run's recorded seconds are the sum of its attempts, not the last one's.
 *
 * @module
 */
import * as path from "node:path";
import { writeFileAtomic } from "./fsutil.ts";

/** Seconds over every attempt of a key. */
export interface Elapsed {
  seconds: number;
  attempts: number;
  /** The last progress an attempt reported (`done` of `total`), if any. */
  progress?: { done: number; total: number };
}

/** The running tally of one attempt. */
export interface ElapsedTracker {
  /** Notes the attempt's progress (saved with the next periodic save). */
  progress(done: number, total: number): void;
  /** Stops counting, saves and returns the totals including this attempt. */
  stop(): Elapsed;
}

const FILE = "elapsed.json";
const SAVE_EVERY_MS = 2000;

/** The totals of earlier attempts of the work folder `work` (zero when unknown or unreadable). */
export function readElapsed(work: string): Elapsed {
  try {
    const e = JSON.parse(Deno.readTextFileSync(path.join(work, FILE)));
    if (typeof e?.seconds === "number" && Number.isInteger(e?.attempts)) {
      const p = e.progress;
      const progress = Number.isFinite(p?.done) && Number.isFinite(p?.total)
        ? { done: p.done as number, total: p.total as number }
        : undefined;
      return { seconds: e.seconds, attempts: e.attempts, ...(progress ? { progress } : {}) };
    }
  } catch { /* none yet */ }
  return { seconds: 0, attempts: 0 };
}

/** Forgets earlier attempts (a forced run, or a committed one). */
export function clearElapsed(work: string): void {
  try {
    Deno.removeSync(path.join(work, FILE));
  } catch { /* absent */ }
}

/** Starts counting a new attempt on top of the earlier ones; `tmp` holds temp files. */
export function trackElapsed(work: string, tmp: string): ElapsedTracker {
  const prior = readElapsed(work);
  const t0 = performance.now();
  let progress = prior.progress;
  const now = (): Elapsed => ({
    seconds: Math.round((prior.seconds + (performance.now() - t0) / 1000) * 100) / 100,
    attempts: prior.attempts + 1,
    ...(progress ? { progress } : {}),
  });
  const save = (e: Elapsed) => {
    try {
      writeFileAtomic(path.join(work, FILE), JSON.stringify(e) + "\n", tmp, false);
    } catch { /* a full or read-only disk must not fail the attempt over bookkeeping */ }
  };
  save(now());
  const timer = setInterval(() => save(now()), SAVE_EVERY_MS);
  Deno.unrefTimer(timer);
  return {
    progress(done, total) {
      progress = { done, total };
    },
    stop() {
      clearInterval(timer);
      const e = now();
      save(e);
      return e;
    },
  };
}
