import assert from "node:assert/strict";
import * as path from "node:path";
import { cluster } from "./cluster_env.ts";
import {
  activeJobs,
  attemptLeftovers,
  FAST_POLL,
  runSlurm,
  slurmProject,
  storeContents,
} from "./helpers.ts";

const EXPERIMENT = `sources:
  - { name: alpha, size: 5 }
  - { name: beta, size: 3 }
train:
  lr: [0.1, 0.2]
  seeds: [0, 1]
  steps: 3`;

Deno.test({
  name: "a pipeline run through Slurm gives the store, lock file and results of a local run",
  ignore: cluster().skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const slurm = slurmProject("slurm-e2e", {
      slurm: `${FAST_POLL}\njobName: e2e`,
      experiment: EXPERIMENT,
    });
    const local = slurmProject("local-e2e", { slurm: FAST_POLL, experiment: EXPERIMENT });
    try {
      const [s, l] = await Promise.all([runSlurm(slurm), local.sub("run")]);
      assert.equal(l.code, 0, `local run failed:\n${l.out}\n${l.err}`);
      assert.equal(s.code, 0, `slurm run failed:\n${s.out}\n${s.err}`);
      assert.match(s.out, /ran 12, cached 0, failed 0, skipped 0/);
      // The sweep's training instances became job arrays.
      assert.match(s.out, /submitted job array \d+ \(\d+ × train\)/);

      assert.deepEqual(storeContents(slurm), storeContents(local));
      assert.equal(
        Deno.readTextFileSync(slurm.lockFile),
        Deno.readTextFileSync(local.lockFile),
      );
      for (
        const rel of ["reports/summary.tsv", "data/alpha/data.txt", "data/beta/meta/info.json"]
      ) {
        assert.equal(
          Deno.readTextFileSync(path.join(slurm.dir, rel)),
          Deno.readTextFileSync(path.join(local.dir, rel)),
          rel,
        );
      }
      assert.deepEqual(attemptLeftovers(slurm), []);

      const again = await runSlurm(slurm);
      assert.equal(again.code, 0, again.out + again.err);
      assert.match(again.out, /all 12 instances up to date/);
      assert.doesNotMatch(again.out, /submitted/);
      assert.deepEqual(await activeJobs("e2e-"), []);
    } finally {
      slurm.remove();
      local.remove();
    }
  },
});

Deno.test({
  name:
    "--dry-run prints the sbatch scripts (arrays, per-stage resources, flags) and submits nothing",
  ignore: cluster().skip,
  fn: async () => {
    const p = slurmProject("slurm-dry", {
      slurm: `jobName: dry
time: "1:30:00"
extraFlags: ["--qos=normal"]
setup: ["module load deno/2.9"]
stages:
  train: { cpus: 2, memory: 2G, gpus: 1, gpuType: a100, partition: gpu }`,
      experiment: EXPERIMENT,
    });
    try {
      const r = await runSlurm(p, "--dry-run", "--slurm-account", "lab42");
      assert.equal(r.code, 0, r.out + r.err);
      const scripts = r.out.split(/^# ---- sbatch: /m).slice(1);
      // source (×2, one array), train (×8, one array), summary (×2, one array)
      assert.equal(scripts.length, 3, r.out);
      const train = scripts.find((s) => s.startsWith("8 instances of train"));
      assert.ok(train, r.out);
      for (
        const line of [
          "#SBATCH --job-name=dry-train",
          "#SBATCH --array=0-7",
          "#SBATCH --cpus-per-task=2",
          "#SBATCH --mem=2048M",
          "#SBATCH --gres=gpu:a100:1",
          "#SBATCH --time=90",
          "#SBATCH --partition=gpu",
          "#SBATCH --account=lab42",
          "#SBATCH --qos=normal",
          "module load deno/2.9",
        ]
      ) assert.ok(train.includes(line), `missing ${line} in\n${train}`);
      const source = scripts.find((s) => s.startsWith("2 instances of source"))!;
      assert.ok(source.includes("#SBATCH --cpus-per-task=1"));
      assert.ok(!source.includes("--partition="), "source has no partition of its own");
      assert.match(r.out, /12 would run/);
      assert.deepEqual(await activeJobs("dry-"), []);
      assert.equal(storeContentsOrEmpty(p), 0);
    } finally {
      p.remove();
    }
  },
});

function storeContentsOrEmpty(p: { store: string }): number {
  try {
    return [...Deno.readDirSync(path.join(p.store, "artifacts"))].length;
  } catch {
    return 0;
  }
}
