/**
 * Helpers for the Slurm tests: projects built from the core's synthetic fixture with a
 * `run.slurm:` section, the Slurm run entry as a subprocess, and queue and store inspection.
 */
import * as path from "node:path";
import { makeProject, REPO, type TestProject } from "../pipeline/helpers.ts";
import { requireCluster } from "./cluster_env.ts";

export { REPO, type TestProject };

/** A project whose config has the given `run:` extras and `experiment:` body. */
export function slurmProject(
  name: string,
  opts: { slurm: string; experiment: string; jobs?: number },
): TestProject {
  const yaml = `run:
  jobs: ${opts.jobs ?? 2}
  executor: local
  slurm:
${opts.slurm.trim().split("\n").map((l) => `    ${l}`).join("\n")}
experiment:
${opts.experiment.trim().split("\n").map((l) => `  ${l}`).join("\n")}
`;
  return makeProject(name, yaml);
}

/** Fast polling for the local test cluster (a real cluster wants the defaults). */
export const FAST_POLL = "pollSeconds: 0.2\nsqueueSeconds: 0.5\nstatusGraceSeconds: 5";

/** The command running `pipeline run --executor slurm` on a project, through the real CLI. */
export function slurmCommand(project: TestProject, ...args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "-q",
      path.join(project.dir, "entry.ts"),
      "run",
      "--executor",
      "slurm",
      ...args,
    ],
    cwd: project.dir,
    stdout: "piped",
    stderr: "piped",
    env: { ...requireCluster(), NO_COLOR: "1" },
  });
}

/** A finished CLI run. */
export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the Slurm entry to its end. */
export function runSlurm(project: TestProject, ...args: string[]): Promise<RunResult> {
  return collect(slurmCommand(project, ...args).spawn());
}

/** Waits for a spawned run and decodes its output. */
export async function collect(child: Deno.ChildProcess): Promise<RunResult> {
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** Active jobs (pending, running, completing) whose name starts with `prefix`. */
export async function activeJobs(prefix: string): Promise<string[]> {
  const out = await new Deno.Command("squeue", {
    args: ["--noheader", "--array", "--format=%i|%j|%T"],
    env: requireCluster(),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  return text.split("\n").filter((l) => l.split("|")[1]?.startsWith(prefix)).map((l) =>
    l.split("|")[0]
  );
}

/** The work folders of a project's store whose instance id matches, with their journal. */
export function workOf(project: TestProject, match: (id: string) => boolean): {
  key: string;
  dir: string;
  job?: string;
}[] {
  const work = path.join(project.store, "work");
  const found: { key: string; dir: string; job?: string }[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(work)];
  } catch {
    return found;
  }
  for (const e of entries) {
    const dir = path.join(work, e.name);
    try {
      const spec = JSON.parse(Deno.readTextFileSync(path.join(dir, "spec.json")));
      if (!match(spec.id)) continue;
      let job: string | undefined;
      try {
        job = JSON.parse(Deno.readTextFileSync(path.join(dir, "slurm-job.json"))).job;
      } catch { /* not submitted yet */ }
      found.push({ key: e.name, dir, job });
    } catch { /* not an instance folder */ }
  }
  return found;
}

/** Polls `cond` every 100 ms until it holds; throws `what` after `seconds`. */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  seconds = 120,
): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}`);
}

/** The files of every committed artifact: key → {relative path → digest}. */
export function storeContents(project: TestProject): Record<string, Record<string, string>> {
  const dir = path.join(project.store, "artifacts");
  const out: Record<string, Record<string, string>> = {};
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.name.endsWith(".json")) continue;
    const m = JSON.parse(Deno.readTextFileSync(path.join(dir, e.name)));
    out[m.key] = Object.fromEntries(
      Object.entries(m.files as Record<string, { digest: string }>).map(([k, v]) => [k, v.digest]),
    );
  }
  return out;
}

/** Leftover attempt folders (`work/<key>/out-*`): a half-written artifact would be one. */
export function attemptLeftovers(project: TestProject): string[] {
  const left: string[] = [];
  const work = path.join(project.store, "work");
  try {
    for (const k of Deno.readDirSync(work)) {
      if (!k.isDirectory) continue;
      for (const e of Deno.readDirSync(path.join(work, k.name))) {
        if (e.name.startsWith("out-")) left.push(`${k.name}/${e.name}`);
      }
    }
  } catch { /* no work folder */ }
  return left;
}
