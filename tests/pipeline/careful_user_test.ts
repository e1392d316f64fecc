/**
 * The "careful user" findings: each test first does what the probe did, then asserts the fixed
 * behaviour — `--force` really recomputes (and a killed forced run keeps the old artifact), `gc`
 * with one config keeps another config's results, `verify` finds corruption the state cache
 * cannot see, and the bad-environment and usability cases end with one clear line.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { environmentCause, EXIT } from "../../lib/pipeline/exit_codes.ts";
import { Store } from "../../lib/pipeline/store.ts";
import { failureTest } from "./failure_table.ts";
import { routeArgs } from "../../lib/pipeline/cli.ts";
import {
  basicConfig,
  lockKey,
  makeProject,
  ranIds,
  type TestProject,
  verifyStore,
  waitFor,
} from "./helpers.ts";

const T = (lr: number, steps = 3, sleepMs = 0) =>
  `train{data=alpha,fail=false,lr=${lr},seed=0,size=5,sleepMs=${sleepMs},steps=${steps}}`;

/** The step of the train instance's scratch checkpoint once it reached `atLeast`. */
function checkpointAt(p: TestProject, key: string, atLeast: number): number | undefined {
  try {
    const c = JSON.parse(
      Deno.readTextFileSync(path.join(p.store, "work", key, "scratch/checkpoint.json")),
    );
    return c.at >= atLeast ? c.at : undefined;
  } catch {
    return undefined;
  }
}

failureTest(
  {
    class: "misuse",
    case: "`--force` on a committed instance (with stale resume state in scratch)",
    behaviour:
      'recomputes from step 0 (scratch discarded), commits a new manifest that replaces the old one, says "forced: recomputed and replaced"',
  },
  "finding 1: --force reruns the stage for real, from scratch, and replaces the artifact",
  async () => {
    const p = makeProject("force", basicConfig({ lr: [0.1] }));
    try {
      assert.equal((await p.cli("run")).code, 0);
      const key = lockKey(p, T(0.1));
      const store = new Store(p.store);
      const before = store.readManifest(key)!;
      // Stale resume state, as a killed earlier attempt would leave: a forced run must ignore it.
      Deno.mkdirSync(path.join(store.workDir(key), "scratch"), { recursive: true });
      Deno.writeTextFileSync(
        path.join(store.workDir(key), "scratch/checkpoint.json"),
        JSON.stringify({ at: 2, w: 999 }),
      );
      await new Promise((r) => setTimeout(r, 20));
      const r = await p.cli("run", "--force", "train");
      assert.equal(r.code, 0, r.out + r.err);
      // The probe saw "ran 1" while the log said "already committed by an earlier attempt".
      const log = Deno.readTextFileSync(store.logPath(key));
      assert.doesNotMatch(log.split("=== ").slice(-1)[0], /already committed/);
      assert.equal((log.match(/=== train/g) ?? []).length, 2, "the stage ran a second time");
      assert.match(log, /--force: recomputing .* from scratch/);
      assert.doesNotMatch(log, /resumed from step/, "the stale checkpoint was discarded");
      assert.match(r.out, /will run train.*: forced \(the committed artifact is recomputed\)/);
      assert.match(r.out, /ran 1 \(1 forced: recomputed and replaced\)/);
      const after = store.readManifest(key)!;
      assert.notEqual(after.created, before.created, "a new manifest was committed");
      assert.deepEqual(after.files, before.files, "same content (deterministic stage)");
      verifyStore(p.store);
    } finally {
      p.remove();
    }
  },
);

failureTest(
  {
    class: "kill point",
    case: "`kill -9` of a `--force` run mid-stage",
    behaviour: "the old artifact stays committed and valid; the next plain run finds it cached",
  },
  "finding 1: a killed forced run leaves the old artifact intact",
  async () => {
    const cfg = basicConfig({ lr: [0.1], steps: 30, sleepMs: 40, jobs: 1 });
    const p = makeProject("forcekill", cfg);
    try {
      assert.equal((await p.sub("run")).code, 0);
      const key = lockKey(p, T(0.1, 30, 40));
      const store = new Store(p.store);
      const before = store.readManifest(key)!;
      const child = p.command("run", "--force", "train").spawn();
      await waitFor("the forced attempt's checkpoint", () => checkpointAt(p, key, 2));
      Deno.kill(child.pid, "SIGKILL");
      await child.status;
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(store.readManifest(key), before, "the old artifact is untouched");
      verifyStore(p.store);
      const r = await p.sub("run");
      assert.equal(r.code, 0, r.out + r.err);
      assert.deepEqual(ranIds(r.out), new Set(), "the old artifact is still valid: all cached");
    } finally {
      p.remove();
    }
  },
);

failureTest(
  {
    class: "misuse",
    case: "two configs share one store; `gc --config a.yaml`",
    behaviour:
      "keeps every artifact any registered config's lock file references; `--dry-run` lists per config what it keeps and what is unreferenced",
  },
  "finding 2: gc with one config keeps another config's results in the same store",
  async () => {
    const p = makeProject("gc2");
    try {
      Deno.writeTextFileSync(path.join(p.dir, "a.yaml"), basicConfig({ lr: [0.1] }));
      Deno.writeTextFileSync(path.join(p.dir, "b.yaml"), basicConfig({ lr: [0.3] }));
      assert.equal((await p.cli("run", "--config", "a.yaml")).code, 0);
      assert.equal((await p.cli("run", "--config", "b.yaml")).code, 0);
      const users = JSON.parse(Deno.readTextFileSync(path.join(p.store, "users.json")));
      assert.equal(users.users.length, 2, "both configs are registered with the store");
      let r = await p.cli("gc", "--config", "a.yaml", "--dry-run");
      assert.match(r.out, /a\.yaml: keeps 3 artifacts/);
      assert.match(r.out, /b\.yaml: keeps 3 artifacts/);
      assert.match(r.out, /unreferenced: 0 artifacts to delete/);
      r = await p.cli("gc", "--config", "a.yaml");
      assert.match(r.out, /removed 0 artifacts/);
      r = await p.cli("run", "--config", "b.yaml");
      assert.equal(r.code, 0);
      assert.deepEqual(ranIds(r.out), new Set(), "b's results survived a's gc");
      // A config whose lock file is gone no longer keeps anything.
      Deno.removeSync(path.join(p.dir, "b.lock"));
      r = await p.cli("gc", "--config", "a.yaml");
      assert.match(r.out, /removed 2 artifacts/, "only b's own train run and summary go");
      // Each config publishes its reports to its own folder.
      assert.ok(existsSync(path.join(p.dir, "reports/a/summary.tsv")));
      assert.ok(existsSync(path.join(p.dir, "reports/b/summary.tsv")));
      assert.equal(existsSync(path.join(p.dir, "reports/summary.tsv")), false);
    } finally {
      p.remove();
    }
  },
);

failureTest(
  {
    class: "corruption",
    case: "one byte of a stored file changed, size and mtime kept (`touch -r`)",
    behaviour:
      "`run` trusts the state cache (size+mtime) and still calls it cached; `verify` rehashes, names file, expected and actual digest, exit 1; `verify --repair` drops it and the next run recomputes it",
  },
  "finding 3: verify finds corruption the state cache cannot see; --repair makes the next run recompute",
  async () => {
    const p = makeProject("verify", basicConfig({ lr: [0.1] }));
    try {
      assert.equal((await p.cli("run")).code, 0);
      const key = lockKey(p, T(0.1));
      const store = new Store(p.store);
      const blob = store.blobPath(store.readManifest(key)!.files["model.txt"].digest);
      const st = Deno.statSync(blob);
      const good = Deno.readTextFileSync(blob);
      Deno.chmodSync(blob, 0o644);
      Deno.writeTextFileSync(blob, good.replace(/\d/, (d) => String((Number(d) + 1) % 10)));
      Deno.utimeSync(blob, st.atime!, st.mtime!);
      let r = await p.cli("run");
      assert.deepEqual(ranIds(r.out), new Set(), "as the probe saw: the state cache trusts it");
      r = await p.cli("verify");
      assert.equal(r.code, EXIT.failed, r.out + r.err);
      assert.match(r.out, new RegExp(`CORRUPT ${esc(T(0.1))}`));
      assert.match(r.out, /model\.txt: expected sha256 [0-9a-f]{64}, found sha256 [0-9a-f]{64}/);
      assert.match(r.out, /verified 3 artifacts: 2 ok, 1 corrupt/);
      r = await p.cli("verify", "--repair");
      assert.equal(r.code, EXIT.ok);
      assert.match(r.out, /dropped 1 corrupt artifacts/);
      r = await p.cli("run");
      assert.equal(r.code, 0);
      assert.deepEqual(ranIds(r.out), new Set([T(0.1)]));
      r = await p.cli("verify");
      assert.equal(r.code, EXIT.ok);
      assert.match(r.out, /3 ok, 0 corrupt/);
      verifyStore(p.store);
    } finally {
      p.remove();
    }
  },
);

failureTest(
  {
    class: "kill point",
    case: "SIGTERM to the pipeline mid-stage",
    behaviour:
      'stops the instances, prints the same summary as Ctrl-C ("interrupted by SIGTERM"), exit 143; the rerun resumes and its recorded seconds add up both attempts',
  },
  "finding 4: SIGTERM ends with the interrupt summary and exit 143; seconds accumulate across attempts",
  async () => {
    const p = makeProject("sigterm", basicConfig({ lr: [0.1], steps: 30, sleepMs: 40, jobs: 1 }));
    try {
      const child = p.command("run").spawn();
      const store = new Store(p.store);
      const key = await waitFor("the train checkpoint", () => {
        try {
          for (const e of Deno.readDirSync(store.work)) {
            if (checkpointAt(p, e.name, 3)) return e.name;
          }
        } catch { /* no store yet */ }
        return undefined;
      });
      await new Promise((r) => setTimeout(r, 500));
      Deno.kill(child.pid, "SIGTERM");
      const out = await child.output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, EXIT.sigterm, text);
      assert.match(
        text,
        /ran \d+, cached \d+, failed \d+, skipped \d+ in [\d.]+s \(interrupted by SIGTERM\)/,
      );
      const st = await p.cli("status");
      assert.match(st.out, /resumable \(from step \d+ of 30/);
      const r = await p.cli("run");
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(Deno.readTextFileSync(store.logPath(key)), /over 2 attempts/);
      assert.ok(store.readManifest(key)!.seconds >= 0.5, "the first attempt's time is counted");
    } finally {
      p.remove();
    }
  },
);

/** Runs the project's CLI in a mount namespace where the store is a read-only bind mount. */
async function readOnlyStoreRun(p: TestProject, ...args: string[]) {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `mount --bind ${q(p.store)} ${q(p.store)} && ` +
    `mount -o remount,ro,bind ${q(p.store)} ${q(p.store)} && exec ${
      q(Deno.execPath())
    } run -A -q ` +
    `${q(path.join(p.dir, "entry.ts"))} ${args.map(q).join(" ")}`;
  const r = await new Deno.Command("unshare", {
    args: ["-m", "sh", "-c", script],
    cwd: p.dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

function canUnshare(): boolean {
  try {
    return new Deno.Command("unshare", {
      args: ["-m", "sh", "-c", "mount --bind /tmp /tmp"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

failureTest(
  {
    class: "bad environment",
    case: "read-only store (read-only bind mount)",
    behaviour:
      "a fully cached run succeeds without touching the store; a run that must compute stops with one line naming the store and the cause, exit 74, nothing written",
  },
  "finding 4: a read-only store: a cached run succeeds read-only; otherwise one line and exit 74",
  async () => {
    const p = makeProject("rostore", basicConfig({ lr: [0.1] }));
    try {
      assert.equal((await p.cli("run")).code, 0);
      let r = await readOnlyStoreRun(p, "run");
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(
        r.out,
        /is not writable \(read-only file system.*all 3 selected instances are cached/,
      );
      p.writeConfig(basicConfig({ lr: [0.1, 0.2] }));
      r = await readOnlyStoreRun(p, "run");
      assert.equal(r.code, EXIT.environment, r.out + r.err);
      assert.match(
        r.err,
        /^error: cannot write the store .*: read-only file system.*2 instances would need to run/,
      );
      assert.equal(r.err.trim().split("\n").length, 1, "one line, no stack trace");
      assert.doesNotMatch(r.err, /internal error/);
    } finally {
      p.remove();
    }
  },
  { ignore: !canUnshare() },
);

failureTest(
  {
    class: "bad environment",
    case: "permission denied, disk full (ENOSPC), quota exceeded",
    behaviour:
      "classified as the environment's fault: one line with the cause and path, exit 74 (70 is kept for bugs)",
  },
  "finding 4: permission and full-disk errors become one-line causes",
  () => {
    const full = new Error("No space left on device (os error 28): write '/s/objects/ab/cd'");
    assert.equal(
      environmentCause(full),
      "no space left on device (disk full) (write '/s/objects/ab/cd')",
    );
    assert.match(
      environmentCause(
        new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/s/lock'"),
      )!,
      /^permission denied/,
    );
    assert.equal(environmentCause(new Error("Unexpected end of JSON input")), undefined);
  },
);

failureTest(
  {
    class: "misuse",
    case: "a mistyped command (`statuss`); an id printed with derived label fields pasted back",
    behaviour:
      "says it is neither a command nor a stage kind and suggests `status`; every printed id (exact first, then as a pattern over its printed fields) selects its instance",
  },
  "finding 4: ids the CLI prints are selectors; a mistyped command gets a did-you-mean",
  async () => {
    const p = makeProject("ids", basicConfig({ lr: [0.1, 0.2] }));
    try {
      const status = await p.cli("status");
      const ids = [...status.out.matchAll(/^ {2}run {3}(\S+):/gm)].map((m) => m[1]);
      assert.equal(ids.length, 4);
      for (const id of ids) {
        const r = await p.cli("show", id);
        assert.equal(r.code, 0, `${id}: ${r.err}`);
      }
      // summary's label shows only data=…; a pattern on the printed field selects it.
      let r = await p.cli("status", "summary{data=alpha}");
      assert.equal(r.code, 0, r.err);
      r = await p.cli("run", "statuss");
      assert.equal(r.code, 2);
      assert.match(
        r.err,
        /"statuss" is neither a command nor a stage kind: did you mean the command "status"\?/,
      );
      r = await p.cli("statuss");
      assert.match(r.err, /unknown command "statuss" \(did you mean "status"\?\)/);
    } finally {
      p.remove();
    }
  },
);

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("options before the command: `--config x.yaml status` is the status command", () => {
  assert.deepEqual(routeArgs(["--config", "x.yaml", "status"]), ["status", "--config", "x.yaml"]);
  assert.deepEqual(routeArgs(["--config", "x.yaml", "run", "train"]), [
    "run",
    "--config",
    "x.yaml",
    "train",
  ]);
  assert.deepEqual(routeArgs(["--dry-run"]), ["run", "--dry-run"]);
  assert.deepEqual(routeArgs(["train-lora"]), ["run", "train-lora"]);
  assert.deepEqual(routeArgs(["status", "--config", "x.yaml"]), ["status", "--config", "x.yaml"]);
});
