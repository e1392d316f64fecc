import assert from "node:assert/strict";
import * as path from "node:path";
import { cluster, requireCluster } from "./cluster_env.ts";
import {
  activeJobs,
  collect,
  FAST_POLL,
  slurmCommand,
  slurmProject,
  waitFor,
  workOf,
} from "./helpers.ts";

// Besides a healthy branch (alpha), three branches whose training job fails in one way each; the
// summary of each depends on it. Every training job has a 1-minute limit.
const EXPERIMENT = `sources:
  - { name: alpha, size: 3 }
train:
  lr: [0.1]
  seeds: [0]
  steps: 2
extra:
  - kind: summary
    params: { data: failing, size: 2, lrs: [0.1], seeds: [5], fail: [5] }
  - kind: summary
    params: { data: slow, size: 2, lrs: [0.1], seeds: [0], steps: 1, sleepMs: 600000 }
  - kind: summary
    params: { data: victim, size: 2, lrs: [0.1], seeds: [0], steps: 1, sleepMs: 600000 }`;

Deno.test({
  name:
    "failed, cancelled and timed-out jobs are reported with their reason; dependents never wait",
  ignore: cluster().skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const p = slurmProject("slurm-fail", {
      slurm: `${FAST_POLL}\njobName: failcase\nstages:\n  train: { time: 1 }`,
      experiment: EXPERIMENT,
    });
    try {
      const child = slurmCommand(p).spawn();
      const done = collect(child);
      // An administrator cancels the victim's job once it runs.
      let victimJob = "";
      await waitFor("the victim's job to run", () => {
        const w = workOf(p, (id) => id.startsWith("train{data=victim"))[0];
        if (!w?.job) return false;
        try {
          const st = JSON.parse(Deno.readTextFileSync(path.join(w.dir, `slurm-${w.job}.status`)));
          victimJob = w.job;
          return st.state === "running";
        } catch {
          return false;
        }
      });
      const sc = await new Deno.Command("scancel", { args: [victimJob], env: requireCluster() })
        .output();
      assert.equal(sc.code, 0);

      const r = await done;
      assert.equal(r.code, 1, r.out + r.err);
      // The CLI's closing summary: each failure with its reason, then its log tail.
      const failure = (data: string) => {
        const m = new RegExp(
          `^  train\\{data=${data},[^\\n]*\\n(?:(?: {4}log: | +\\| ).*\\n)*`,
          "m",
        ).exec(r.out);
        assert.ok(m, `no failure reported for ${data}:\n${r.out}`);
        return m[0];
      };
      const failing = failure("failing");
      assert.match(failing, /exited with code 1: synthetic failure for seed 5/);
      // …and the tail of its log, prefixed "| ", in the run's output.
      assert.match(r.out, /\| .*FAILED: Error: synthetic failure for seed 5/);
      const victim = failure("victim");
      assert.match(victim, new RegExp(`Slurm job ${victimJob} failed: it was cancelled`));
      assert.match(victim, /CANCELLED/);
      const slow = failure("slow");
      assert.match(
        slow,
        /exceeded its time limit of 00:01:00 \(Slurm state TIMEOUT, reason TimeLimit\)/,
      );
      const skipped = /^skipped \(an input failed\): (.*)$/m.exec(r.out);
      assert.ok(skipped, r.out);
      for (const data of ["failing", "slow", "victim"]) {
        assert.ok(skipped[1].includes(`summary{data=${data}}`), skipped[1]);
      }
      assert.match(r.out, /ran 6, cached 0, failed 3, skipped 3/);
      assert.deepEqual(await activeJobs("failcase-"), []);
    } finally {
      p.remove();
    }
  },
});
