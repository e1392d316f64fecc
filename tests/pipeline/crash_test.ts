/**
 * Crash safety and concurrency with real subprocesses: kill -9 mid-stage leaves no partial
 * artifact and the rerun resumes and matches an uninterrupted run; two invocations on one store
 * do not corrupt it and the second one says why it waits (or fails with --no-wait).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  basicConfig,
  makeProject,
  ranIds,
  type TestProject,
  verifyStore,
  waitFor,
} from "./helpers.ts";
import { failureTest } from "./failure_table.ts";

/** The checkpoint step of the running train instance, once it has reached `atLeast`. */
function checkpointStep(p: TestProject, atLeast: number): number | undefined {
  try {
    for (const e of Deno.readDirSync(path.join(p.store, "work"))) {
      try {
        const c = JSON.parse(
          Deno.readTextFileSync(path.join(p.store, "work", e.name, "scratch/checkpoint.json")),
        );
        if (c.at >= atLeast) return c.at;
      } catch { /* not this one */ }
    }
  } catch { /* no store yet */ }
  return undefined;
}

const cfg = basicConfig({ lr: [0.1], steps: 12, sleepMs: 60, jobs: 1 });
const TRAIN = "train{data=alpha,fail=false,lr=0.1,seed=0,size=5,sleepMs=60,steps=12}";

failureTest(
  {
    class: "kill point",
    case: "`kill -9` of the pipeline process mid-stage",
    behaviour:
      "no partial artifact; the orphaned instance process stops; the rerun redoes only unfinished instances, resumes from the checkpoint and matches an uninterrupted run",
  },
  "kill -9 of the pipeline mid-stage: no partial artifact; the rerun resumes and matches",
  async () => {
    const reference = makeProject("ref", cfg);
    const p = makeProject("kill", cfg);
    try {
      const ref = await reference.sub("run");
      assert.equal(ref.code, 0, ref.out + ref.err);

      const child = p.command("run").spawn();
      await waitFor("a checkpoint", () => checkpointStep(p, 3));
      Deno.kill(child.pid, "SIGKILL");
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL");
      // The orphaned instance process notices its parent is gone and stops.
      await waitFor("the instance process to exit", () => {
        const logs = [...Deno.readDirSync(path.join(p.store, "logs"))].map((e) =>
          Deno.readTextFileSync(path.join(p.store, "logs", e.name))
        ).join("\n");
        const pids = [...logs.matchAll(/ pid (\d+)/g)].map((m) => Number(m[1]));
        return pids.every((pid) => !existsProc(pid)) ? true : undefined;
      });
      const { artifacts } = verifyStore(p.store);
      assert.equal(
        artifacts,
        1,
        "only the finished source is committed; no partial train artifact",
      );
      const stepAtKill = checkpointStep(p, 1)!;
      assert.ok(stepAtKill >= 3 && stepAtKill < 12);

      const rerun = await p.sub("run");
      assert.equal(rerun.code, 0, rerun.out + rerun.err);
      assert.deepEqual(
        ranIds(rerun.out),
        new Set([TRAIN, "summary{data=alpha}"]),
        "only unfinished work reruns",
      );
      verifyStore(p.store);
      const show = await p.sub("show", "train");
      assert.match(show.out, /resumed from step \d+/);
      assert.equal(
        Deno.readTextFileSync(p.lockFile),
        Deno.readTextFileSync(reference.lockFile),
        "outputs equal an uninterrupted run's",
      );
      assert.equal(
        Deno.readTextFileSync(path.join(p.dir, "reports/summary.tsv")),
        Deno.readTextFileSync(path.join(reference.dir, "reports/summary.tsv")),
      );
    } finally {
      p.remove();
      reference.remove();
    }
  },
);

failureTest(
  {
    class: "kill point",
    case: "`kill -9` of one instance process",
    behaviour:
      "the run lists it as failed (killed by SIGKILL), skips its dependents, exit 1; the rerun completes",
  },
  "kill -9 of one instance process: the run reports it, the rerun completes",
  async () => {
    const p = makeProject("killchild", cfg);
    try {
      const child = p.command("run").spawn();
      await waitFor("a checkpoint", () => checkpointStep(p, 2));
      const logDir = path.join(p.store, "logs");
      const pid = await waitFor("the instance pid", () => {
        for (const e of Deno.readDirSync(logDir)) {
          const m = /=== train.* pid (\d+)/.exec(Deno.readTextFileSync(path.join(logDir, e.name)));
          if (m) return Number(m[1]);
        }
        return undefined;
      });
      Deno.kill(pid, "SIGKILL");
      const out = await child.output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 1);
      assert.match(text, /FAILED train.*instance process ended \(killed by SIGKILL\)/);
      assert.match(text, /skipped \(an input failed\): summary\{data=alpha\}/);
      assert.equal(verifyStore(p.store).artifacts, 1);
      const rerun = await p.sub("run");
      assert.equal(rerun.code, 0, rerun.out + rerun.err);
      assert.deepEqual(ranIds(rerun.out), new Set([TRAIN, "summary{data=alpha}"]));
      verifyStore(p.store);
    } finally {
      p.remove();
    }
  },
);

failureTest(
  {
    class: "misuse",
    case: "two runs on one store at once",
    behaviour:
      "the second waits for the store lock (says who holds it) or, with `--no-wait`, exits 3; no corruption",
  },
  "two concurrent runs on one store: the second waits or fails clearly; no corruption",
  async () => {
    const p = makeProject(
      "concurrent",
      basicConfig({ lr: [0.1], steps: 25, sleepMs: 100, jobs: 1 }),
    );
    try {
      const first = p.command("run").spawn();
      await waitFor("the first run to hold the lock", () => checkpointStep(p, 1));
      const noWait = await p.sub("run", "--no-wait");
      assert.equal(noWait.code, 3);
      assert.match(
        noWait.err,
        new RegExp(
          `error: the store .* is in use by pid ${first.pid} on .*; not waiting \\(--no-wait\\)`,
        ),
      );
      const second = p.command("run").spawn();
      const [a, b] = await Promise.all([first.output(), second.output()]);
      const dec = new TextDecoder();
      assert.equal(a.code, 0, dec.decode(a.stdout));
      assert.equal(b.code, 0, dec.decode(b.stdout) + dec.decode(b.stderr));
      assert.match(
        dec.decode(b.stderr),
        new RegExp(`waiting for the store lock held by pid ${first.pid}`),
      );
      assert.deepEqual(
        ranIds(dec.decode(b.stdout)),
        new Set(),
        "the second run finds everything done",
      );
      assert.equal(verifyStore(p.store).artifacts, 3);
    } finally {
      p.remove();
    }
  },
);

function existsProc(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
