/**
 * Runs planned instance refs through the real pipeline core (DAG, keys, store, runner) with an
 * in-process executor, for end-to-end tests of the training stages.
 */
import * as path from "node:path";
import { buildDag, type Dag } from "../../lib/pipeline/dag.ts";
import { InProcessExecutor } from "../../lib/pipeline/executor.ts";
import type { PlannedRef } from "../../lib/pipeline/planner.ts";
import { evaluate, execute, type Reporter, type RunSummary } from "../../lib/pipeline/runner.ts";
import type { StageDefinition } from "../../lib/pipeline/stage.ts";
import { StateCache } from "../../lib/pipeline/state.ts";
import { Store } from "../../lib/pipeline/store.ts";

/** A reporter that keeps log lines and failures. */
export function quietReporter(lines: string[] = []): Reporter {
  return {
    begin() {},
    started() {},
    progress() {},
    log: (inst, line) => lines.push(`[${inst.id}] ${line}`),
    finished: (inst, outcome, _s, error) => {
      if (outcome !== "done") lines.push(`${outcome} ${inst.id}: ${error ?? ""}`);
    },
    message: (t) => lines.push(t),
    end() {},
  };
}

/** What a pipeline run returned. */
export interface HarnessRun {
  summary: RunSummary;
  dag: Dag;
  store: Store;
  /** Directory of a root instance's committed outputs. */
  outputOf(ref: PlannedRef): string;
  lines: string[];
  /** Keys of the instances this run executed (not cache hits). */
  ranKeys: Set<string>;
}

/** Plans `refs`, runs what is not cached in the store at `root`, and returns the summary. */
export async function runRefs(
  root: string,
  refs: PlannedRef[],
  stages: StageDefinition[],
  jobs = 1,
): Promise<HarnessRun> {
  const dag = buildDag(refs, stages);
  const store = new Store(path.join(root, "store"));
  store.ensure();
  const state = new StateCache(store.stateFile).load();
  const lockFile = path.join(root, "pipeline.lock");
  const lines: string[] = [];
  const verdicts = evaluate({
    dag,
    considered: dag.instances.filter((i) => !i.onDemandOnly),
    forced: new Set(),
    store,
    state,
    lockFile,
    repair: true,
    warn: (m) => lines.push(m),
  });
  const ranKeys = new Set(verdicts.filter((v) => v.action === "run").map((v) => v.inst.key));
  const summary = await execute({
    dag,
    verdicts,
    store,
    state,
    executor: new InProcessExecutor(),
    reporter: quietReporter(lines),
    jobs,
    device: "cpu",
    projectRoot: root,
    lockFile,
    signal: new AbortController().signal,
    warn: (m) => lines.push(m),
  });
  const outputOf = (ref: PlannedRef) => {
    const one = buildDag([ref], stages).roots[0];
    return store.materialize(one.key, new StateCache(store.stateFile).load());
  };
  return { summary, dag, store, outputOf, lines, ranKeys };
}

/** What {@link killAndResume} observed. */
export interface KillResumeOutcome {
  /** The step of the checkpoint the killed process left behind. */
  checkpointStep: number;
  /** Exit signal/code of the killed process. */
  killed: Deno.CommandStatus;
  /** Directory of the committed outputs after the resumed attempt. */
  outDir: string;
}

/**
 * Runs the instance `ref` as a real `run_instance.ts` subprocess, SIGKILLs it once its
 * checkpoint in the scratch dir reaches `minStep`, then runs the instance again (in process)
 * so it resumes from that checkpoint, and returns the committed outputs.
 */
export async function killAndResume(
  root: string,
  ref: PlannedRef,
  stages: StageDefinition[],
  minStep: number,
  checkpointFile = "checkpoint.bin",
): Promise<KillResumeOutcome> {
  const { readCheckpoint } = await import("../../lib/train/checkpoint.ts");
  const { instanceSpec, writeSpec, executeInstance } = await import(
    "../../lib/pipeline/instance_exec.ts"
  );
  const { instanceCommand } = await import("../../lib/pipeline/executor.ts");
  const dag = buildDag([ref], stages);
  const store = new Store(path.join(root, "store"));
  store.ensure();
  // Upstream instances first, in process.
  for (const inst of dag.instances.slice(0, -1)) {
    if (store.hasArtifact(inst.key)) continue;
    writeSpec(store, instanceSpec(inst, "cpu", root));
    const r = await executeInstance(store.root, inst.key);
    if (!r.ok) throw new Error(`${inst.id}: ${r.error}`);
  }
  const target = dag.roots[0];
  writeSpec(store, instanceSpec(target, "cpu", root));
  const cmd = instanceCommand({
    key: target.key,
    id: target.id,
    kind: target.kind,
    storePath: store.root,
    resources: {},
    device: "cpu",
  });
  const child = new Deno.Command(cmd.cmd, {
    args: cmd.args,
    cwd: cmd.cwd,
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const ckpt = path.join(store.workDir(target.key), "scratch", checkpointFile);
  for (;;) {
    let step = -1;
    try {
      step = readCheckpoint<{ step: number }>(ckpt)?.meta.step ?? -1;
    } catch { /* being replaced */ }
    if (step >= minStep) break;
    if (store.hasArtifact(target.key)) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`${target.id} finished before a checkpoint at step ≥ ${minStep} was seen`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  const killed = await child.status;
  if (store.hasArtifact(target.key)) throw new Error(`${target.id} committed before it was killed`);
  const checkpointStep = readCheckpoint<{ step: number }>(ckpt)!.meta.step;
  const r = await executeInstance(store.root, target.key);
  if (!r.ok) throw new Error(`${target.id} resumed attempt failed: ${r.error}`);
  const outDir = store.materialize(target.key, new StateCache(store.stateFile).load());
  return { checkpointStep, killed, outDir };
}
