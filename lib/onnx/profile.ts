/**
 * Summaries of ORT's per-node profiles (the Chrome-trace JSON a session created with
 * `SessionOptions.profile` writes on `endProfiling()`): kernel time per op type, per step.
 *
 * @module
 */

/** Kernel time of one op type, averaged over the profiled runs. */
export interface OpTime {
  op: string;
  /** Milliseconds per run. */
  ms: number;
  /** Kernel invocations per run. */
  calls: number;
  /** Share of all kernel time. */
  fraction: number;
}

/** A profile summary: op types by time, descending. */
export interface ProfileSummary {
  runs: number;
  /** Sum of kernel times per run (ms); below wall time by the executor's own overhead. */
  kernelMs: number;
  /** Mean wall time of a model_run (ms). */
  runMs: number;
  ops: OpTime[];
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string };
}

/**
 * Summarize the trace at `path`, skipping the first `skipRuns` model runs (warm-up).
 * Kernel events are attributed to the run whose time span holds them.
 */
export function summarizeProfile(path: string, skipRuns = 0): ProfileSummary {
  const events = JSON.parse(Deno.readTextFileSync(path)) as (TraceEvent & { ts?: number })[];
  const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run")
    .sort((a, b) => a.ts! - b.ts!);
  const kept = runs.slice(skipRuns);
  if (!kept.length) throw new Error(`summarizeProfile: no model runs after ${skipRuns} in ${path}`);
  const start = kept[0].ts! - 1;
  const per = new Map<string, { us: number; calls: number }>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== "Node" || !e.name?.endsWith("_kernel_time") || (e.ts ?? 0) < start) continue;
    const op = e.args?.op_name ?? "?";
    const r = per.get(op) ?? { us: 0, calls: 0 };
    r.us += e.dur ?? 0;
    r.calls++;
    per.set(op, r);
    total += e.dur ?? 0;
  }
  const n = kept.length;
  const ops = [...per.entries()].map(([op, r]) => ({
    op,
    ms: r.us / n / 1000,
    calls: r.calls / n,
    fraction: r.us / total,
  })).sort((a, b) => b.ms - a.ms);
  const runMs = kept.reduce((s, e) => s + (e.dur ?? 0), 0) / n / 1000;
  return { runs: n, kernelMs: total / n / 1000, runMs, ops };
}

/** The summary as a few text lines (top `top` op types). */
export function formatProfile(s: ProfileSummary, top = 8): string {
  const lines = [`run ${s.runMs.toFixed(1)} ms, kernels ${s.kernelMs.toFixed(1)} ms`];
  for (const o of s.ops.slice(0, top)) {
    lines.push(
      `  ${o.op.padEnd(28)} ${o.ms.toFixed(2).padStart(7)} ms ${
        (100 * o.fraction).toFixed(1).padStart(5)
      }%  ${String(Math.round(o.calls)).padStart(4)} calls`,
    );
  }
  return lines.join("\n");
}
