/**
 * The Slurm client commands the executor uses (sbatch, squeue, scontrol, scancel), behind a small
 * interface so that tests and `--dry-run` can replace them. No accounting (`sacct`) is needed:
 * job state comes from the controller while it remembers the job.
 *
 * @module
 */
import { type JobInfo, parseScontrolJobs, parseSqueue } from "./slurm_state.ts";

/** The output of one client command. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command; replaceable in tests. */
export type CommandRunner = (
  cmd: string,
  args: string[],
  env: Record<string, string> | undefined,
) => Promise<CommandOutput>;

/** The default runner: `Deno.Command`, with a clear error when the program is missing. */
export const runCommand: CommandRunner = async (cmd, args, env) => {
  try {
    const out = await new Deno.Command(cmd, { args, env, stdin: "null" }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `${cmd} not found: the Slurm executor needs the Slurm client commands on PATH ` +
          `(run the pipeline on a cluster login node, or start the test cluster with ci/slurm/start.sh)`,
      );
    }
    throw e;
  }
};

/** Wraps the client commands of one cluster. */
export class SlurmCli {
  /**
   * @param env extra environment for every command (e.g. `SLURM_CONF`); merged over the process's.
   * @param run the command runner.
   */
  constructor(
    readonly env: Record<string, string> = {},
    readonly run: CommandRunner = runCommand,
  ) {}

  #exec(cmd: string, args: string[]): Promise<CommandOutput> {
    const env = Object.keys(this.env).length > 0 ? this.env : undefined;
    return this.run(cmd, args, env);
  }

  /** Submits a batch script file; returns the job id (`123`). Throws with sbatch's message. */
  async submit(scriptFile: string): Promise<string> {
    const out = await this.#exec("sbatch", ["--parsable", scriptFile]);
    const id = out.stdout.trim().split("\n").pop()?.split(";")[0] ?? "";
    if (out.code !== 0 || !/^\d+$/.test(id)) {
      const why = (out.stderr.trim() || out.stdout.trim() || `exit code ${out.code}`)
        .split("\n").slice(-3).join(" ");
      throw new Error(`sbatch ${scriptFile} failed: ${why}`);
    }
    return id;
  }

  /**
   * The controller's view of jobs (array elements expanded), including jobs that finished
   * recently (`--states=all`). Jobs the controller no longer knows are simply absent.
   * @param ids job ids (`123`; an array's id lists all its elements).
   */
  async queue(ids: string[]): Promise<Map<string, JobInfo>> {
    const result = new Map<string, JobInfo>();
    if (ids.length === 0) return result;
    const out = await this.#exec("squeue", [
      "--noheader",
      "--array",
      "--states=all",
      `--jobs=${ids.join(",")}`,
      "--format=%i|%T|%r",
    ]);
    if (out.code !== 0) {
      // Every id unknown to the controller: an empty answer, not a failure.
      if (/Invalid job id/i.test(out.stderr)) return result;
      throw new Error(`squeue failed: ${out.stderr.trim() || `exit code ${out.code}`}`);
    }
    for (const j of parseSqueue(out.stdout)) result.set(j.id, j);
    return result;
  }

  /** Full details of one job (`123` or `123_4`), or undefined when the controller forgot it. */
  async show(id: string): Promise<JobInfo | undefined> {
    const out = await this.#exec("scontrol", ["show", "job", "--oneliner", id]);
    if (out.code !== 0) return undefined;
    return parseScontrolJobs(out.stdout).find((j) => j.id === id) ??
      parseScontrolJobs(out.stdout)[0];
  }

  /** Cancels jobs (whole arrays or single elements); errors for already finished jobs are ignored. */
  async cancel(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#exec("scancel", ids);
  }
}
