/**
 * Finds the test Slurm cluster that `ci/slurm/start.sh` starts, for the tests in this folder.
 *
 * The cluster is found through `SLURM_CONF` (set when `.ci/run` sources `ci/slurm/start.sh`), or
 * else through the env file start.sh writes (`$IDIM_SLURM_DIR/env`, default
 * `/tmp/idim-slurm/env`). When none answers, the tests fail with a message saying how to start
 * one. `IDIM_SKIP_SLURM=1` skips them all, with a printed notice.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** The outcome of looking for the test cluster. */
export interface ClusterProbe {
  /** Environment for Slurm client commands (includes `SLURM_CONF`), when a cluster answered. */
  env?: Record<string, string>;
  /** The partition start.sh configured. */
  partition?: string;
  /** True when the tests should be skipped (`IDIM_SKIP_SLURM=1`). */
  skip: boolean;
  /** Why no cluster is usable. */
  problem?: string;
}

function envFileVars(file: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

/** Looks for a running test cluster once; see the module doc. */
export function probeCluster(): ClusterProbe {
  if (Deno.env.get("IDIM_SKIP_SLURM") === "1") {
    console.log("tests/cluster: skipped (IDIM_SKIP_SLURM=1)");
    return { skip: true, problem: "IDIM_SKIP_SLURM=1" };
  }
  const dir = Deno.env.get("IDIM_SLURM_DIR") ?? "/tmp/idim-slurm";
  let vars: Record<string, string> | undefined;
  const conf = Deno.env.get("SLURM_CONF");
  if (conf) {
    vars = { SLURM_CONF: conf };
    const p = Deno.env.get("IDIM_SLURM_PARTITION");
    if (p) vars.IDIM_SLURM_PARTITION = p;
  } else {
    vars = envFileVars(`${dir}/env`);
  }
  let problem: string | undefined;
  if (!vars?.SLURM_CONF) {
    problem = `no Slurm cluster: SLURM_CONF is not set and ${dir}/env does not exist`;
  } else {
    const env = { ...Deno.env.toObject(), ...vars };
    const r = spawnSync("sinfo", ["-h", "-o", "%t"], { env, encoding: "utf8", timeout: 10_000 });
    const state = (r.stdout ?? "").trim();
    if (r.error || r.status !== 0) {
      problem = `sinfo failed with SLURM_CONF=${vars.SLURM_CONF}: ${
        r.error?.message ?? (r.stderr || "").trim()
      }`;
    } else if (state === "" || /^(down|drain|drng|fail|unk|maint|inval)/m.test(state)) {
      problem = `the Slurm node is not usable (sinfo state: '${state}')`;
    } else {
      return { env, partition: vars.IDIM_SLURM_PARTITION, skip: false };
    }
  }
  return {
    skip: false,
    problem: `${problem}. Start the test cluster with \`ci/slurm/start.sh\` (as root; stop it ` +
      `with \`ci/slurm/stop.sh\`), or set IDIM_SKIP_SLURM=1 to skip the Slurm tests.`,
  };
}

/** The probe result for this test process (computed on first use). */
let cached: ClusterProbe | undefined;
/** The cached probe. */
export function cluster(): ClusterProbe {
  cached ??= probeCluster();
  return cached;
}

/** The client environment of the running cluster; throws the probe's message when there is none. */
export function requireCluster(): Record<string, string> {
  const c = cluster();
  if (!c.env) throw new Error(c.problem);
  return c.env;
}
