/**
 * Renders the batch script of one Slurm job: one instance, or a job array of instances of the
 * same stage kind and placement. Each element runs `run_instance.ts --store <store> --key <key>`
 * (the core's instance process) and writes its own exit-status file into the store's work area,
 * so its outcome is known without an accounting database.
 *
 * @module
 */
import { type JobPlacement, placementFlags } from "./options.ts";
import { shQuote } from "./shell.ts";

/** Everything one batch script needs. */
export interface BatchSpec {
  /** Job name (`--job-name`). */
  jobName: string;
  /** The stage kind (comments and messages). */
  kind: string;
  /** Instance keys, one per array element (a single key: a plain job). */
  keys: string[];
  /** Display ids of the same instances (comments only). */
  ids: string[];
  placement: JobPlacement;
  /** Absolute store path. */
  storePath: string;
  /** The instance command: executable, arguments with `{KEY}` where the key goes, folder. */
  command: { cmd: string; args: string[]; cwd: string };
  /** Environment of the instance process. */
  env: Record<string, string>;
  /** Shell lines run before the instance (module loads, container setup). */
  setup: string[];
  /** Slurm's own stdout/stderr of the job (`%A`, `%a`, `%j` patterns allowed). */
  slurmOutput: string;
  /** Allow Slurm to requeue the job. */
  requeue: boolean;
  /** Most array elements running at once. */
  arrayParallelism?: number;
}

/** The placeholder for the key in `BatchSpec.command.args`. */
export const KEY_PLACEHOLDER = "{KEY}";

/** The `#SBATCH` options of a batch, in order. */
export function batchFlags(spec: BatchSpec): string[] {
  const f = [`--job-name=${spec.jobName}`];
  if (spec.keys.length > 1) {
    f.push(
      `--array=0-${spec.keys.length - 1}${
        spec.arrayParallelism ? `%${spec.arrayParallelism}` : ""
      }`,
    );
  }
  f.push(`--output=${spec.slurmOutput}`, "--ntasks=1", ...placementFlags(spec.placement));
  f.push(spec.requeue ? "--requeue" : "--no-requeue");
  return f;
}

/** The batch script text. */
export function renderBatchScript(spec: BatchSpec): string {
  if (spec.keys.length === 0) throw new Error("a batch needs at least one instance");
  const lines: string[] = ["#!/bin/bash"];
  for (const f of batchFlags(spec)) {
    if (/[\n\r]/.test(f)) {
      throw new Error(`sbatch option contains a line break: ${JSON.stringify(f)}`);
    }
    lines.push(`#SBATCH ${f}`);
  }
  lines.push(
    `# idim: ${spec.keys.length} instance${spec.keys.length > 1 ? "s" : ""} of stage ${spec.kind}`,
  );
  spec.ids.forEach((id, i) => lines.push(`#   [${i}] ${id.replace(/[\n\r]/g, " ")}`));
  const args = spec.command.args.map((a) => a === KEY_PLACEHOLDER ? `"$key"` : shQuote(a));
  lines.push(
    "set -uo pipefail",
    `store=${shQuote(spec.storePath)}`,
    `keys=(${spec.keys.map(shQuote).join(" ")})`,
    'if [[ -n "${SLURM_ARRAY_TASK_ID:-}" ]]; then',
    '  key="${keys[$SLURM_ARRAY_TASK_ID]}"',
    '  job="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"',
    "else",
    '  key="${keys[0]}"',
    '  job="$SLURM_JOB_ID"',
    "fi",
    'work="$store/work/$key"',
    'status="$work/slurm-$job.status"',
    'mkdir -p "$work" || exit 1',
    'exec >>"$work/slurm-$job.out" 2>&1',
    "# The exit-status file: replaced atomically, so a reader never sees half of it.",
    "put_status() {",
    '  printf \'{"job":"%s","host":"%s","start":%s,%s}\\n\' "$job" "$(hostname)" "$start" "$1" \\',
    '    >"$status.tmp.$$" && mv -f "$status.tmp.$$" "$status"',
    "}",
    "start=$(date +%s)",
    'put_status \'"state":"running"\'',
    "child=",
    "on_signal() {",
    '  put_status "\\"state\\":\\"signalled\\",\\"signal\\":\\"$1\\""',
    "  got_signal=$1",
    '  [[ -n "$child" ]] && kill -s "$1" "$child" 2>/dev/null',
    "}",
    "got_signal=",
    "trap 'on_signal TERM' TERM",
    "trap 'on_signal INT' INT",
    ...spec.setup,
    `cd ${shQuote(spec.command.cwd)} || exit 1`,
    ...Object.entries(spec.env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
    "# A result left by an earlier attempt must not pass for this one's.",
    'rm -f "$work/result.json"',
    `${shQuote(spec.command.cmd)} ${args.join(" ")} &`,
    "child=$!",
    "# wait returns early when a trapped signal arrives: wait again until the process is gone.",
    "while :; do",
    '  wait "$child"',
    "  rc=$?",
    '  kill -0 "$child" 2>/dev/null || break',
    "done",
    'if [[ -n "$got_signal" ]]; then',
    '  put_status "\\"state\\":\\"exited\\",\\"exit\\":$rc,\\"signal\\":\\"$got_signal\\",\\"end\\":$(date +%s)"',
    "else",
    '  put_status "\\"state\\":\\"exited\\",\\"exit\\":$rc,\\"end\\":$(date +%s)"',
    "fi",
    'exit "$rc"',
  );
  return lines.join("\n") + "\n";
}
