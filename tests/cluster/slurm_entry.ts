/**
 * Test entry: `pipeline run --executor slurm` for a project folder, built from the core's exported
 * pieces (config, DAG, evaluate, execute, progress display, run lock) and this module's executor,
 * until the core CLI offers the Slurm executor itself.
 *
 * usage: deno run -A tests/cluster/slurm_entry.ts <project-dir> [--dry-run] [--jobs N]
 *        [--slurm-partition P] [--slurm-time T] [--slurm-flags "…"]
 * The project folder has `pipeline.yaml`, `planner.ts` and `stages/mod.ts` (the core's fixture).
 */
import * as path from "node:path";
import { slurmDryRun, slurmFlagsFrom, slurmOptionsFor } from "../../lib/cluster/cli_integration.ts";
import { SlurmExecutor } from "../../lib/cluster/slurm_executor.ts";
import { loadConfig } from "../../lib/pipeline/config.ts";
import { buildDag } from "../../lib/pipeline/dag.ts";
import { errorMessage, PipelineError } from "../../lib/pipeline/errors.ts";
import { lockPathFor } from "../../lib/pipeline/lock_file.ts";
import { ProgressReporter, stdoutOutput } from "../../lib/pipeline/progress.ts";
import { acquireRunLock } from "../../lib/pipeline/run_lock.ts";
import { evaluate, execute, logTail } from "../../lib/pipeline/runner.ts";
import { StateCache } from "../../lib/pipeline/state.ts";
import { Store } from "../../lib/pipeline/store.ts";

async function run(args: string[]): Promise<number> {
  const dir = path.resolve(args[0]);
  const flags = new Map<string, string | true>();
  for (let i = 1; i < args.length; i++) {
    if (args[i] === "--dry-run") flags.set("--dry-run", true);
    else flags.set(args[i], args[++i]);
  }
  const { planner } = await import(path.join(dir, "planner.ts"));
  const { stages } = await import(path.join(dir, "stages/mod.ts"));
  Deno.chdir(dir);
  const config = loadConfig(path.join(dir, "pipeline.yaml"), planner);
  const dag = buildDag(planner.plan(config.experiment), stages, { locate: config.locate });
  const store = new Store(path.resolve(config.root, config.run.store));
  const lockFile = lockPathFor(config.file);
  const opts = slurmOptionsFor(config.run.slurm, slurmFlagsFrom(flags), config.locate);
  const jobs = flags.has("--jobs") ? Number(flags.get("--jobs")) : 1000;
  const warn = (m: string) => console.error(`warning: ${m}`);
  const state = new StateCache(store.stateFile).load();
  if (flags.has("--dry-run")) {
    const verdicts = evaluate({
      dag,
      considered: dag.instances,
      forced: new Set(),
      store,
      state,
      lockFile,
      repair: false,
      warn,
    });
    const toRun = verdicts.filter((v) => v.action === "run").map((v) => v.inst);
    console.log(slurmDryRun(toRun, store.root, config.run.device, opts));
    console.log(`${toRun.length} would run (dry run: nothing submitted)`);
    return 0;
  }
  store.ensure();
  const lock = await acquireRunLock(store.lockFile, {
    wait: true,
    command: "slurm_entry",
    notify: (m) => console.error(m),
  });
  const out = stdoutOutput();
  const reporter = new ProgressReporter(out);
  const executor = new SlurmExecutor(opts, { notify: (m) => reporter.message(`slurm: ${m}`) });
  const ac = new AbortController();
  Deno.addSignalListener("SIGINT", () => ac.abort());
  Deno.addSignalListener("SIGTERM", () => ac.abort());
  try {
    store.sweepTmp();
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
    const summary = await execute({
      dag,
      verdicts,
      store,
      state,
      executor,
      reporter,
      jobs,
      device: config.run.device,
      projectRoot: config.root,
      lockFile,
      signal: ac.signal,
      warn,
    });
    console.log(
      `ran ${summary.ran}, cached ${summary.cached}, failed ${summary.failed.length}, skipped ${summary.skipped.length}` +
        (summary.interrupted ? " (interrupted)" : ""),
    );
    for (const f of summary.failed) {
      console.log(`FAILURE ${f.inst.id}: ${f.error}`);
      for (const l of logTail(f.logPath, 4)) console.log(`    | ${l}`);
    }
    for (const s of summary.skipped) console.log(`SKIPPED ${s.id}`);
    if (summary.interrupted) return 130;
    return summary.failed.length + summary.skipped.length > 0 ? 1 : 0;
  } finally {
    lock.release();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await run(Deno.args));
  } catch (e) {
    console.error(e instanceof PipelineError ? `error: ${e.message}` : errorMessage(e));
    Deno.exit(e instanceof PipelineError ? e.exitCode : 70);
  }
}
