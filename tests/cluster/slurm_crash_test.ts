import assert from "node:assert/strict";
import * as path from "node:path";
import { cluster, requireCluster } from "./cluster_env.ts";
import {
  activeJobs,
  attemptLeftovers,
  collect,
  FAST_POLL,
  runSlurm,
  slurmCommand,
  slurmProject,
  storeContents,
  waitFor,
  workOf,
} from "./helpers.ts";

// Each training job sleeps 4 × 2.5 s, so the three jobs the crash leaves behind are still running
// when the rerun adopts them, even on a loaded machine.
const EXPERIMENT = `sources:
  - { name: alpha, size: 5 }
train:
  lr: [0.1, 0.2]
  seeds: [0, 1]
  steps: 4
  sleepMs: 2500`;

const isTrain = (id: string) => id.startsWith("train{");

/** Waits until every training job runs and one has written a checkpoint (mid-run). */
async function waitMidTraining(p: ReturnType<typeof slurmProject>): Promise<void> {
  await waitFor("training jobs to be mid-run", () => {
    const w = workOf(p, isTrain);
    return w.length === 4 && w.every((x) => x.job) &&
      w.some((x) => {
        try {
          Deno.statSync(path.join(x.dir, "scratch/checkpoint.json"));
          return true;
        } catch {
          return false;
        }
      });
  });
}

Deno.test({
  name: "killing the pipeline mid-run, then rerunning, finishes the work without duplicate jobs",
  ignore: cluster().skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const p = slurmProject("slurm-kill", {
      slurm: `${FAST_POLL}\njobName: killcase`,
      experiment: EXPERIMENT,
    });
    const local = slurmProject("local-kill", { slurm: FAST_POLL, experiment: EXPERIMENT });
    try {
      const localRun = local.sub("run");
      const child = slurmCommand(p).spawn();
      const first = collect(child);
      await waitMidTraining(p);
      child.kill("SIGKILL");
      await first;
      // The crash leaves the jobs running; one of them is then lost (cancelled) as well.
      const trains = workOf(p, isTrain);
      const jobs = await activeJobs("killcase-");
      assert.equal(jobs.length, 4, `jobs still queued after the crash: ${jobs.join(" ")}`);
      const lost = trains[0];
      await new Deno.Command("scancel", { args: [lost.job!], env: requireCluster() }).output();
      await waitFor(
        "the lost job to end",
        async () => !(await activeJobs("killcase-")).includes(lost.job!),
      );

      const r = await runSlurm(p);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /adopted 3 Slurm jobs still queued or running/);
      assert.match(r.out, /ran 5, cached 1, failed 0, skipped 0/);
      // Only the lost instance was submitted again, and it resumed from its checkpoint.
      const scripts = [...Deno.readDirSync(path.join(p.store, "work/slurm"))]
        .map((e) => e.name).filter((n) => n.endsWith("-train.sh")).sort();
      assert.equal(scripts.length, 2, scripts.join(" "));
      const resubmitted = Deno.readTextFileSync(path.join(p.store, "work/slurm", scripts[1]));
      assert.match(resubmitted, new RegExp(`keys=\\(${lost.key}\\)`));
      assert.match(
        Deno.readTextFileSync(path.join(p.store, "logs", `${lost.key}.log`)),
        /resumed from step [1-3]/,
      );

      const l = await localRun;
      assert.equal(l.code, 0, l.out + l.err);
      assert.deepEqual(storeContents(p), storeContents(local));
      assert.equal(Deno.readTextFileSync(p.lockFile), Deno.readTextFileSync(local.lockFile));
      assert.deepEqual(attemptLeftovers(p), []);
      assert.deepEqual(await activeJobs("killcase-"), []);
    } finally {
      p.remove();
      local.remove();
    }
  },
});

Deno.test({
  name: "Ctrl-C on the pipeline cancels its Slurm jobs; a rerun completes the work",
  ignore: cluster().skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const p = slurmProject("slurm-int", {
      slurm: `${FAST_POLL}\njobName: intcase`,
      experiment: EXPERIMENT,
    });
    try {
      const child = slurmCommand(p).spawn();
      const first = collect(child);
      await waitMidTraining(p);
      child.kill("SIGINT");
      const r = await first;
      assert.equal(r.code, 130, r.out + r.err);
      assert.match(r.out, /cancelling 4 Slurm jobs: scancel/);
      // cancelAll returns only once the controller no longer runs them.
      assert.deepEqual(await activeJobs("intcase-"), []);
      assert.deepEqual(workOf(p, isTrain).filter((w) => w.job), [], "journals are cleared");

      const again = await runSlurm(p);
      assert.equal(again.code, 0, again.out + again.err);
      assert.match(again.out, /ran 5, cached 1, failed 0, skipped 0/);
      assert.doesNotMatch(again.out, /adopted/);
      assert.deepEqual(attemptLeftovers(p), []);
      assert.equal(
        Deno.readTextFileSync(path.join(p.dir, "reports/summary.tsv")).trim().split("\n").length,
        4,
      );
    } finally {
      p.remove();
    }
  },
});
