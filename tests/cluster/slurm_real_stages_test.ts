// The real training stages (tiny BERT, ONNX Runtime training, LoRA and DID runs with an lr
// search) through the Slurm executor, against the same instances run by the local pool.
import assert from "node:assert/strict";
import * as path from "node:path";
import { resolveSlurmOptions } from "../../executors/slurm.ts";
import { SlurmExecutor } from "../../executors/slurm_executor.ts";
import { buildDag } from "../../lib/pipeline/dag.ts";
import { type Executor, LocalExecutor } from "../../lib/pipeline/executor.ts";
import type { PlannedRef } from "../../lib/pipeline/planner.ts";
import { evaluate, execute, type RunSummary } from "../../lib/pipeline/runner.ts";
import { StateCache } from "../../lib/pipeline/state.ts";
import { Store } from "../../lib/pipeline/store.ts";
import { quietReporter } from "../train/harness.ts";
import { pointRef, TINY_STAGES } from "../train/tiny_config.ts";
import { cluster, requireCluster } from "./cluster_env.ts";
import { activeJobs, REPO } from "./helpers.ts";

/** Plans `refs` and runs what is not cached under `root` with `executor`. */
async function runWith(
  root: string,
  refs: PlannedRef[],
  executor: Executor,
  lines: string[],
): Promise<RunSummary> {
  const dag = buildDag(refs, TINY_STAGES);
  const store = new Store(path.join(root, "store"));
  store.ensure();
  const state = new StateCache(store.stateFile).load();
  const lockFile = path.join(root, "pipeline.lock");
  const warn = (m: string) => lines.push(m);
  const verdicts = evaluate({
    dag,
    considered: dag.instances,
    forced: new Set(),
    store,
    state,
    lockFile,
    repair: true,
    warn,
  });
  for (const v of verdicts) {
    if (v.action === "run") lines.push(`will run ${v.inst.id}: ${v.reasons.join("; ")}`);
  }
  return await execute({
    dag,
    verdicts,
    store,
    state,
    executor,
    reporter: quietReporter(lines),
    jobs: 100,
    device: "cpu",
    projectRoot: root,
    lockFile,
    signal: new AbortController().signal,
    warn,
  });
}

/** Training records carry wall-clock measurements; everything else must be bit-identical. */
const TIMING_FIELDS = new Set(["wallSeconds", "samplesPerSecond"]);
const TIMED_FILES = new Set(["result.json", "point.json"]);

function withoutTiming(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTiming);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).filter(([k]) => !TIMING_FIELDS.has(k)).map((
        [k, x],
      ) => [k, withoutTiming(x)]),
    );
  }
  return v;
}

/**
 * key → {file → digest} of every committed artifact under `root`; training records are compared
 * by content without their timing fields.
 */
function contents(root: string): Record<string, Record<string, unknown>> {
  const store = new Store(path.join(root, "store"));
  const state = new StateCache(store.stateFile).load();
  const out: Record<string, Record<string, unknown>> = {};
  for (const key of store.listArtifacts().sort()) {
    const m = store.readManifest(key)!;
    const dir = store.materialize(key, state);
    out[key] = Object.fromEntries(
      Object.entries(m.files).map(([rel, f]) => [
        rel,
        TIMED_FILES.has(path.basename(rel))
          ? withoutTiming(JSON.parse(Deno.readTextFileSync(path.join(dir, rel))))
          : f.digest,
      ]),
    );
  }
  return out;
}

/** The lock file without the digests of training records (they hold timings). */
function lockWithoutTimedDigests(root: string): string {
  return Deno.readTextFileSync(path.join(root, "pipeline.lock")).split("\n")
    .filter((l) => !/"(result|point)\.json": \{digest/.test(l)).join("\n");
}

Deno.test({
  name: "real LoRA and DID training runs through Slurm match the local pool, and rerun from cache",
  ignore: cluster().skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const refs = [pointRef("lora", 2, [3e-3, 1e-2]), pointRef("did", 100, [0.01])];
    const base = path.join(REPO, ".idim/test-tmp");
    Deno.mkdirSync(base, { recursive: true });
    const slurmRoot = Deno.makeTempDirSync({ dir: base, prefix: "slurm-real-" });
    const localRoot = Deno.makeTempDirSync({ dir: base, prefix: "local-real-" });
    const opts = resolveSlurmOptions({
      pollSeconds: 0.2,
      squeueSeconds: 0.5,
      statusGraceSeconds: 5,
      jobName: "realcase",
    });
    opts.env = requireCluster();
    try {
      const sLines: string[] = [];
      const lLines: string[] = [];
      const [s, l] = await Promise.all([
        runWith(
          slurmRoot,
          refs,
          new SlurmExecutor(opts, { notify: (m) => sLines.push(m) }),
          sLines,
        ),
        runWith(localRoot, refs, new LocalExecutor(), lLines),
      ]);
      assert.deepEqual(l.failed.map((f) => f.error), [], lLines.join("\n"));
      assert.deepEqual(s.failed.map((f) => f.error), [], sLines.join("\n"));
      assert.equal(s.ran, 11);
      // Both lr values of the LoRA point went out as one job array of train-lora.
      assert.ok(
        sLines.some((m) => /submitted job array \d+ \(2 × train-lora\)/.test(m)),
        sLines.join("\n"),
      );
      assert.deepEqual(contents(slurmRoot), contents(localRoot));
      assert.equal(lockWithoutTimedDigests(slurmRoot), lockWithoutTimedDigests(localRoot));

      const again: string[] = [];
      const r = await runWith(
        slurmRoot,
        refs,
        new SlurmExecutor(opts, { notify: (m) => again.push(m) }),
        again,
      );
      assert.equal(r.ran, 0, again.join("\n"));
      assert.equal(r.cached, 11);
      assert.deepEqual(again.filter((m) => m.startsWith("submitted")), []);
      assert.deepEqual(await activeJobs("realcase-"), []);
    } finally {
      Deno.removeSync(slurmRoot, { recursive: true });
      Deno.removeSync(localRoot, { recursive: true });
    }
  },
});
