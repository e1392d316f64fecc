// Unit tests of the Slurm executor's parts that need no cluster: settings, placement, batch
// scripts (run by bash with a fake Slurm environment), state parsing, and the executor's
// decisions on jobs the controller has forgotten.
import assert from "node:assert/strict";
import * as path from "node:path";
import { z } from "zod";
import { journalPath, outputPath, readStatus, statusPath } from "../../lib/cluster/job_files.ts";
import { parseMemoryMiB, parseTimeMinutes, placementFor } from "../../lib/cluster/options.ts";
import { executors } from "../../executors/mod.ts";
import { resolveSlurmOptions } from "../../executors/slurm.ts";
import { KEY_PLACEHOLDER, renderBatchScript } from "../../lib/cluster/sbatch_script.ts";
import { type CommandRunner, SlurmCli } from "../../lib/cluster/slurm_cli.ts";
import { SlurmExecutor } from "../../executors/slurm_executor.ts";
import { describeEnd, jobPhase, parseScontrolJobs } from "../../lib/cluster/slurm_state.ts";
import { loadConfig } from "../../lib/pipeline/config.ts";
import { PipelineError } from "../../lib/pipeline/errors.ts";
import type { Task } from "../../lib/pipeline/executor.ts";

Deno.test("Slurm time and memory values convert to minutes and MiB", () => {
  assert.equal(parseTimeMinutes(90), 90);
  assert.equal(parseTimeMinutes("90"), 90);
  assert.equal(parseTimeMinutes("2:00:00"), 120);
  assert.equal(parseTimeMinutes("1-12:00:00"), 2160);
  assert.equal(parseTimeMinutes("0:30"), 1, "seconds round up to a minute");
  assert.equal(parseTimeMinutes("soon"), undefined);
  assert.equal(parseMemoryMiB("16G"), 16384);
  assert.equal(parseMemoryMiB("500M"), 500);
  assert.equal(parseMemoryMiB(4096), 4096);
  assert.equal(parseMemoryMiB("lots"), undefined);
});

Deno.test("a bad run.slurm section is reported with file, line and key", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "pipeline.yaml");
    Deno.writeTextFileSync(
      file,
      "run:\n  slurm:\n    partition: gpu\n    stages:\n      train:\n        time: soon\n        cpu: 4\nexperiment: {}\n",
    );
    const cfg = loadConfig(file, { schema: z.any(), plan: () => [] }, { executors });
    assert.throws(
      () => resolveSlurmOptions(cfg.run.sections.slurm, {}, cfg.locate),
      (e: unknown) => {
        assert.ok(e instanceof PipelineError);
        assert.match(
          e.message,
          /pipeline\.yaml:6:\d+: run\.slurm\.stages\.train\.time: expected minutes/,
        );
        assert.match(
          e.message,
          /pipeline\.yaml:7:\d+: run\.slurm\.stages\.train\.cpu: unknown key "cpu" \(expected one of: cpus,/,
        );
        return true;
      },
    );
    assert.throws(
      () => resolveSlurmOptions({}, { time: "later" }),
      /--slurm-time: expected minutes/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("per-stage config beats the stage declaration, which beats section defaults", () => {
  const opts = resolveSlurmOptions(
    {
      cpus: 1,
      memory: "1G",
      time: 30,
      partition: "cpu",
      extraFlags: ["--qos=normal"],
      stages: { train: { gpus: 1, time: "4:00:00", partition: "gpu", extraFlags: ["-C a100"] } },
    },
    { partition: "short", flags: ["--exclusive"] },
  );
  const train = placementFor("train", { cpus: 4, memoryMiB: 8000, gpus: 2, timeMinutes: 60 }, opts);
  assert.deepEqual(train, {
    cpus: 4,
    memoryMiB: 8000,
    gpus: 1,
    gpuType: undefined,
    timeMinutes: 240,
    partition: "gpu",
    account: undefined,
    qos: undefined,
    extraFlags: ["--qos=normal", "--exclusive", "-C a100"],
  });
  const other = placementFor("tokenize", {}, opts);
  assert.equal(other.partition, "short", "--slurm-partition overrides the section");
  assert.equal(other.memoryMiB, 1024);
  assert.equal(other.timeMinutes, 30);
  assert.equal(other.gpus, 0);
});

Deno.test("scontrol records and job states are read as the executor needs them", () => {
  const rec =
    "JobId=8 ArrayJobId=5 ArrayTaskId=1 JobName=wrap JobState=TIMEOUT Reason=TimeLimit Dependency=(null) ExitCode=0:15 TimeLimit=00:01:00 NodeList=vm";
  const [j] = parseScontrolJobs(rec);
  assert.equal(j.id, "5_1");
  assert.equal(j.state, "TIMEOUT");
  assert.equal(
    describeEnd(j),
    "it exceeded its time limit of 00:01:00 (Slurm state TIMEOUT, reason TimeLimit)",
  );
  assert.equal(jobPhase("PENDING"), "active");
  assert.equal(jobPhase("COMPLETING"), "active");
  assert.equal(jobPhase("COMPLETED"), "completed");
  assert.equal(jobPhase("CANCELLED by 0"), "failed");
  assert.equal(
    describeEnd({ id: "3", state: "FAILED", reason: "NonZeroExitCode", exitCode: "2:0" }),
    "it exited with code 2 (Slurm state FAILED, reason NonZeroExitCode)",
  );
});

/** Runs a rendered batch script with bash as Slurm would, with a fake instance command. */
function runScript(
  store: string,
  keys: string[],
  arrayTask: number | undefined,
  body: string,
) {
  const script = renderBatchScript({
    jobName: "t",
    kind: "k",
    keys,
    ids: keys.map((k) => `k{${k}}`),
    placement: { cpus: 1, gpus: 0, extraFlags: [] },
    storePath: store,
    command: { cmd: "/bin/bash", args: ["-c", body, "x", KEY_PLACEHOLDER], cwd: store },
    env: { IDIM_DEVICE: "cpu" },
    setup: ["export FROM_SETUP=yes"],
    slurmOutput: "%j.out",
    requeue: false,
  });
  const file = path.join(store, "job.sh");
  Deno.writeTextFileSync(file, script);
  const env: Record<string, string> = arrayTask === undefined
    ? { SLURM_JOB_ID: "41" }
    : { SLURM_JOB_ID: "99", SLURM_ARRAY_JOB_ID: "40", SLURM_ARRAY_TASK_ID: String(arrayTask) };
  return new Deno.Command("bash", { args: [file], env, stdout: "null", stderr: "null" }).spawn();
}

Deno.test("the batch script runs its array element's key and writes an exit-status file", async () => {
  const store = Deno.makeTempDirSync();
  try {
    const child = runScript(
      store,
      ["ka", "kb"],
      1,
      'echo "key=$1 setup=$FROM_SETUP dev=$IDIM_DEVICE"; exit 3',
    );
    const st = await child.status;
    assert.equal(st.code, 3);
    const status = readStatus(store, "kb", "40_1");
    assert.equal(status?.state, "exited");
    assert.equal(status?.exit, 3);
    assert.equal(status?.signal, undefined);
    assert.equal(
      Deno.readTextFileSync(outputPath(store, "kb", "40_1")).trim(),
      "key=kb setup=yes dev=cpu",
    );
  } finally {
    Deno.removeSync(store, { recursive: true });
  }
});

Deno.test("a batch job that receives SIGTERM (scancel, time limit) records the signal", async () => {
  const store = Deno.makeTempDirSync();
  try {
    const child = runScript(
      store,
      ["ka"],
      undefined,
      "trap 'exit 143' TERM; sleep 30 & wait",
    );
    for (let i = 0; i < 100 && readStatus(store, "ka", "41")?.state !== "running"; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGTERM");
    await child.status;
    const status = readStatus(store, "ka", "41");
    assert.equal(status?.state, "exited");
    assert.equal(status?.signal, "TERM");
    assert.equal(status?.exit, 143);
  } finally {
    Deno.removeSync(store, { recursive: true });
  }
});

/** An executor whose Slurm commands are scripted: sbatch gives job 77, the queue is empty. */
function fakeExecutor(onSubmit: (scriptFile: string) => void) {
  const calls: string[] = [];
  const run: CommandRunner = (cmd, args) => {
    calls.push(`${cmd} ${args.join(" ")}`);
    if (cmd === "sbatch") {
      onSubmit(args[args.length - 1]);
      return Promise.resolve({ code: 0, stdout: "77\n", stderr: "" });
    }
    if (cmd === "squeue") {
      return Promise.resolve({
        code: 1,
        stdout: "",
        stderr: "slurm_load_jobs error: Invalid job id specified",
      });
    }
    return Promise.resolve({ code: 1, stdout: "", stderr: "Invalid job id specified" });
  };
  const opts = resolveSlurmOptions({
    pollSeconds: 0.05,
    squeueSeconds: 0.05,
    statusGraceSeconds: 0.2,
  });
  opts.batchWindowMs = 10;
  return { executor: new SlurmExecutor(opts, { cli: new SlurmCli({}, run) }), calls };
}

function task(store: string, key: string): Task {
  return { key, id: `k{${key}}`, kind: "k", storePath: store, resources: {}, device: "cpu" };
}

const noEvents = { progress: () => {}, log: () => {} };

Deno.test("a job the controller forgot, with no exit status, fails with that reason", async () => {
  const store = Deno.makeTempDirSync();
  try {
    const { executor, calls } = fakeExecutor(() => {});
    const outcome = await executor.submit(task(store, "k1"), noEvents);
    assert.equal(outcome.ok, false);
    assert.match(
      outcome.error!,
      /^Slurm job 77 failed: it is no longer known to Slurm and never wrote an exit status/,
    );
    assert.ok(calls.some((c) => c.startsWith("squeue")));
    assert.throws(() => Deno.statSync(journalPath(store, "k1")), "the journal is cleared");
  } finally {
    Deno.removeSync(store, { recursive: true });
  }
});

Deno.test("a forgotten job that wrote exit 0 and a good result succeeds from its files alone", async () => {
  const store = Deno.makeTempDirSync();
  try {
    const { executor } = fakeExecutor(() => {
      const work = path.join(store, "work", "k2");
      Deno.mkdirSync(work, { recursive: true });
      Deno.writeTextFileSync(
        path.join(work, "result.json"),
        JSON.stringify({ ok: true, seconds: 1.5, state: [] }),
      );
      Deno.writeTextFileSync(
        statusPath(store, "k2", "77"),
        JSON.stringify({ job: "77", state: "exited", exit: 0, start: 1, end: 3 }),
      );
      Deno.writeTextFileSync(
        outputPath(store, "k2", "77"),
        '\x1e{"t":"progress","done":1,"total":2}\n',
      );
    });
    const progress: number[] = [];
    const outcome = await executor.submit(task(store, "k2"), {
      progress: (d) => progress.push(d),
      log: () => {},
    });
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.seconds, 1.5);
    assert.deepEqual(progress, [1], "progress events reach the display");
  } finally {
    Deno.removeSync(store, { recursive: true });
  }
});

Deno.test("files of an earlier job with a reused job id are not taken for the new job's", async () => {
  const store = Deno.makeTempDirSync();
  try {
    const work = path.join(store, "work", "k3");
    Deno.mkdirSync(work, { recursive: true });
    Deno.writeTextFileSync(
      statusPath(store, "k3", "77"),
      JSON.stringify({ job: "77", state: "exited", exit: 0, start: 1, end: 2 }),
    );
    Deno.writeTextFileSync(
      path.join(work, "result.json"),
      JSON.stringify({ ok: true, seconds: 1, state: [] }),
    );
    const { executor } = fakeExecutor(() => {});
    const outcome = await executor.submit(task(store, "k3"), noEvents);
    assert.equal(outcome.ok, false);
    assert.match(outcome.error!, /never wrote an exit status/);
  } finally {
    Deno.removeSync(store, { recursive: true });
  }
});
