/**
 * Slurm job states as `squeue` and `scontrol show job` print them, classified for the executor,
 * and the parsing of `scontrol show job -o` records.
 *
 * @module
 */

/** States in which a job still holds (or waits for) resources. */
const ACTIVE = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "REQUEUE_FED",
  "REQUEUE_HOLD",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "RESV_DEL_HOLD",
  "SPECIAL_EXIT",
  "STOPPED",
]);

/** How a job stands, from the executor's point of view. */
export type JobPhase = "active" | "completed" | "failed" | "unknown";

/** Classifies a Slurm job state name (`PENDING`, `TIMEOUT`, `CANCELLED by 0`, …). */
export function jobPhase(state: string): JobPhase {
  const s = state.trim().split(/\s+/)[0].replace(/\+$/, "").toUpperCase();
  if (ACTIVE.has(s)) return "active";
  if (s === "COMPLETED") return "completed";
  if (s === "") return "unknown";
  return "failed";
}

/** What the executor knows of one job from the controller. */
export interface JobInfo {
  /** `123` or, for an array element, `123_4`. */
  id: string;
  /** The Slurm state name, e.g. `RUNNING`, `TIMEOUT`. */
  state: string;
  /** The Slurm reason field (`None`, `Resources`, `TimeLimit`, `NonZeroExitCode`, …). */
  reason: string;
  /** `exit:signal` as scontrol prints it, when known. */
  exitCode?: string;
  /** The job's time limit as scontrol prints it, when known. */
  timeLimit?: string;
  /** Node(s) the job ran on, when known. */
  nodes?: string;
}

/** Parses one line of `scontrol show job -o` (space-separated `Key=Value` pairs). */
export function parseScontrolRecord(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  // Values may contain spaces only in a few fields we do not read (Command, Comment…); a key is
  // a word followed by "=" at the start or after a space.
  const re = /(?:^|\s)([A-Za-z][A-Za-z0-9_/:]*)=(\S*)/g;
  for (const m of line.matchAll(re)) out[m[1]] = m[2];
  return out;
}

/** Turns `scontrol show job -o` output into job infos (array elements as `A_a`). */
export function parseScontrolJobs(text: string): JobInfo[] {
  const jobs: JobInfo[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes("JobId=")) continue;
    const r = parseScontrolRecord(line);
    const task = r.ArrayTaskId;
    const id = r.ArrayJobId && task !== undefined && /^\d+$/.test(task)
      ? `${r.ArrayJobId}_${task}`
      : r.JobId;
    jobs.push({
      id,
      state: r.JobState ?? "",
      reason: r.Reason ?? "None",
      exitCode: r.ExitCode,
      timeLimit: r.TimeLimit,
      nodes: r.NodeList,
    });
  }
  return jobs;
}

/** Parses `squeue -h -r -o '%i|%T|%r'` lines. */
export function parseSqueue(text: string): JobInfo[] {
  const jobs: JobInfo[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split("|");
    if (parts.length < 3 || parts[0] === "") continue;
    jobs.push({ id: parts[0], state: parts[1], reason: parts[2] });
  }
  return jobs;
}

/** One sentence naming why a finished job did not succeed, e.g. `TIMEOUT (time limit 1 min)`. */
export function describeEnd(info: JobInfo): string {
  const state = info.state.split(/\s+/)[0];
  const parts: string[] = [];
  switch (state) {
    case "TIMEOUT":
      parts.push(
        `it exceeded its time limit${
          info.timeLimit && info.timeLimit !== "UNLIMITED" ? ` of ${info.timeLimit}` : ""
        }`,
      );
      break;
    case "CANCELLED":
      parts.push("it was cancelled (scancel, or an administrator)");
      break;
    case "OUT_OF_MEMORY":
      parts.push("it ran out of memory");
      break;
    case "NODE_FAIL":
      parts.push("its node failed");
      break;
    case "PREEMPTED":
      parts.push("it was preempted");
      break;
    case "BOOT_FAIL":
      parts.push("its node failed to boot");
      break;
    case "DEADLINE":
      parts.push("it reached its deadline");
      break;
    case "FAILED": {
      const code = info.exitCode?.split(":");
      if (code && code[1] && code[1] !== "0") parts.push(`it was killed by signal ${code[1]}`);
      else if (code && code[0] !== "0") parts.push(`it exited with code ${code[0]}`);
      else parts.push("it failed");
      break;
    }
    default:
      parts.push(`it ended in state ${state || "unknown"}`);
  }
  const reason = info.reason && info.reason !== "None" ? `, reason ${info.reason}` : "";
  return `${parts[0]} (Slurm state ${state}${reason})`;
}
