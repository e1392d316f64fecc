import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cluster, requireCluster } from "./cluster_env.ts";

Deno.test({
  name: "the test Slurm cluster runs a trivial batch job as the submitting user",
  ignore: cluster().skip,
  fn: async () => {
    const env = requireCluster();
    const dir = mkdtempSync(path.join(tmpdir(), "idim-slurm-smoke-"));
    try {
      const out = path.join(dir, "out.txt");
      const sub = spawnSync(
        "sbatch",
        ["--parsable", "--job-name=idim-smoke", `--output=${out}`, "--wrap", "echo smoke-$((6*7))"],
        { env, encoding: "utf8" },
      );
      assert.equal(sub.status, 0, `sbatch failed: ${sub.stderr}`);
      const jobId = sub.stdout.trim().split(";")[0];
      assert.match(jobId, /^\d+$/);
      let state = "";
      for (let i = 0; i < 600; i++) {
        const show = spawnSync("scontrol", ["show", "job", jobId], { env, encoding: "utf8" });
        state = /JobState=(\S+)/.exec(show.stdout ?? "")?.[1] ?? "";
        if (!["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", ""].includes(state)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(state, "COMPLETED");
      assert.equal(readFileSync(out, "utf8").trim(), "smoke-42");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
