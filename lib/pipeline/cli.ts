/**
 * The pipeline command line: `run`, `status`, `dag`, `show`, `gc`. The project's `pipeline.ts`
 * calls `main` with its planner, stage registry, executor plug-ins and device option.
 *
 * @module
 */
import * as path from "node:path";
import { loadConfig, type LoadedConfig, validateSection } from "./config.ts";
import { buildDag, type Dag, type Instance } from "./dag.ts";
import { renderDot, renderMermaid, renderText } from "./dag_render.ts";
import { didYouMean } from "./did_you_mean.ts";
import { readElapsed } from "./elapsed.ts";
import { errorMessage, PipelineError } from "./errors.ts";
import { environmentCause, EXIT } from "./exit_codes.ts";
import { BUILTIN_EXECUTORS } from "./builtin_executors.ts";
import type { Executor, Task } from "./executor.ts";
import {
  ANY_DEVICE,
  type DeviceOption,
  type ExecutorContext,
  type ExecutorPlugin,
  findExecutor,
} from "./executor_plugin.ts";
import { resultPath } from "./instance_exec.ts";
import { lockPathFor } from "./lock_file.ts";
import { PlanError, type Planner } from "./planner.ts";
import { type Output, ProgressReporter, stdoutOutput } from "./progress.ts";
import { readOnlyRun } from "./read_only_run.ts";
import { acquireRunLock } from "./run_lock.ts";
import { evaluate, execute, logTail, type RunSummary, type Verdict } from "./runner.ts";
import {
  isKeyPrefix,
  selectInstances,
  withDownstream,
  withUpstream,
  withUpstreamAndOnDemand,
} from "./selectors.ts";
import type { Estimate, StageDefinition } from "./stage.ts";
import { StateCache } from "./state.ts";
import { Store } from "./store.ts";
import { registerUser } from "./store_users.ts";
import { keyOwners, liveKeys } from "./gc_owners.ts";
import { checkArtifact, repairArtifact } from "./verify_store.ts";

/** What `main` needs from the project. */
export interface MainOptions {
  // deno-lint-ignore no-explicit-any
  planner: Planner<any>;
  // deno-lint-ignore no-explicit-any
  stages: StageDefinition<any>[];
  /** Config file used without `--config`, e.g. `pipeline.yaml`. */
  defaultConfig: string;
  /**
   * The executors `--executor` and `run.executor` offer, the first being the default
   * (default: the engine's `local` and `inprocess`).
   */
  // deno-lint-ignore no-explicit-any
  executors?: readonly ExecutorPlugin<any>[];
  /** Validates `--device` and `run.device` (default: any name, `cpu` when none is given). */
  device?: DeviceOption;
  /** Where normal output goes (default: stdout, live display when a terminal). */
  stdout?: Output;
  /** Where errors and warnings go (default: stderr). */
  stderr?: (text: string) => void;
  /**
   * The working folder: a relative `--config` resolves against it and printed paths are relative
   * to it (default: the process's). Tests that run several projects in one process set it.
   */
  cwd?: string;
  /** Interrupts the run (default: SIGINT). */
  signal?: AbortSignal;
}

/** The executors of a `main` call. */
// deno-lint-ignore no-explicit-any
function executorsOf(opts: MainOptions): readonly ExecutorPlugin<any>[] {
  return opts.executors && opts.executors.length > 0 ? opts.executors : BUILTIN_EXECUTORS;
}

/** Pads a usage line's left part to the help column (26 for options, 24 for commands). */
function usageLine(left: string, help: string, pad = 26): string {
  return left.length < pad ? `${left.padEnd(pad)}${help}` : `${left}\n${" ".repeat(pad)}${help}`;
}

/** The usage text, with the registered executors, their flags and the device option. */
function usage(opts: MainOptions): string {
  const executors = executorsOf(opts);
  const device = opts.device ?? ANY_DEVICE;
  const choices = device.choices ? `: ${device.choices.join(", ")}` : "";
  const lines = [
    "usage: pipeline <command> [options]",
    "",
    "commands:",
    usageLine(
      "  run [selectors...]",
      "run what is missing or changed (selected instances and their upstream)",
      24,
    ),
    usageLine("      --downstream", "also run everything downstream of the selection"),
    usageLine("      --force", "rerun the selected instances even if cached"),
    usageLine("      --dry-run", "print what would run and why; change nothing"),
    usageLine("      --jobs N", "concurrent instances (default: run.jobs, else the CPU count)"),
    usageLine("      --device NAME", `${device.description}${choices}`),
    usageLine(
      "      --executor KIND",
      `how instances run (default: run.executor, else ${executors[0].name}):`,
    ),
    ...executors.map((e) => usageLine(`        ${e.name}`, e.description)),
    ...executors.flatMap((e) =>
      (e.flags ?? []).map((f) => usageLine(`      ${f.name} ${f.value}`, f.help))
    ),
    usageLine("      --no-wait", "fail at once if another invocation holds the store"),
    usageLine("  status [selectors...]", "what is up to date and what would run", 24),
    usageLine("  dag [selectors...]", "print the DAG  (--format text|mermaid|dot)", 24),
    usageLine("  show <instance>", "params, key, inputs, outputs and log tail of one instance", 24),
    usageLine(
      "  gc [--dry-run]",
      "delete stored artifacts that no config using this store references",
      24,
    ),
    usageLine(
      "  verify [selectors...]",
      "rehash stored artifacts (no cache); --repair drops corrupt ones",
      24,
    ),
    "",
    "selectors: a stage kind (train), a pattern (train{lr=0.1,seed=0}, *{seed=0}) or an exact id",
    `options: --config FILE (default: ${opts.defaultConfig})`,
  ];
  return lines.join("\n");
}

interface Parsed {
  command: string;
  positional: string[];
  flags: Map<string, string | true>;
}

const BOOL_FLAGS: Record<string, string[]> = {
  run: ["--downstream", "--force", "--dry-run", "--no-wait"],
  status: [],
  dag: [],
  show: [],
  gc: ["--dry-run", "--no-wait"],
  verify: ["--repair", "--no-wait"],
};

/** The value flags each command accepts: the engine's and, for `run`, the executors'. */
function valueFlags(opts: MainOptions): Record<string, string[]> {
  const executorFlags = executorsOf(opts).flatMap((e) => (e.flags ?? []).map((f) => f.name));
  return {
    run: ["--config", "--jobs", "--device", "--executor", ...executorFlags],
    status: ["--config"],
    dag: ["--config", "--format"],
    show: ["--config"],
    gc: ["--config"],
    verify: ["--config"],
  };
}

function parseArgs(args: string[], opts: MainOptions): Parsed {
  const allowed = valueFlags(opts);
  const known = new Set(Object.values(allowed).flat());
  const [command, ...rest] = args;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    throw new PipelineError("__usage__", command ? 0 : 2);
  }
  if (!(command in BOOL_FLAGS)) {
    const hint = didYouMean(command, COMMANDS);
    throw new PipelineError(
      `unknown command "${command}"${hint ? ` (did you mean "${hint}"?)` : ""} (commands: ${
        Object.keys(BOOL_FLAGS).join(", ")
      })`,
    );
  }
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--help" || a === "-h") throw new PipelineError("__usage__", 0);
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(0, eq) : a;
      if (known.has(name)) {
        if (!allowed[command].includes(name)) {
          throw new PipelineError(`option ${name} does not apply to "${command}"`);
        }
        const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
        if (v === undefined || v === "") throw new PipelineError(`option ${name} needs a value`);
        flags.set(name, v);
      } else if (BOOL_FLAGS[command].includes(name) && eq < 0) {
        flags.set(name, true);
      } else {
        throw new PipelineError(`unknown option ${a} for "${command}"`);
      }
    } else positional.push(a);
  }
  return { command, positional, flags };
}

interface Loaded {
  config: LoadedConfig;
  dag: Dag;
  store: Store;
  lockFile: string;
}

/** The folder relative paths are resolved against and printed relative to. */
function cwdOf(opts: MainOptions): string {
  return opts.cwd ?? Deno.cwd();
}

function load(p: Parsed, opts: MainOptions): Loaded {
  const file = (p.flags.get("--config") as string | undefined) ?? opts.defaultConfig;
  const config = loadConfig(file, opts.planner, {
    executors: executorsOf(opts),
    device: opts.device,
    cwd: cwdOf(opts),
  });
  let refs;
  try {
    refs = opts.planner.plan(config.experiment, {
      root: config.root,
      configName: path.basename(config.file).replace(/\.(ya?ml|json)$/i, ""),
      // The default file name in its folder (its own project) keeps the plain report folder.
      isDefaultConfig: path.basename(config.file) === path.basename(opts.defaultConfig),
    });
  } catch (e) {
    if (e instanceof PipelineError) throw e;
    if (e instanceof PlanError) {
      const where = config.locate(["experiment", ...e.path]);
      throw new PipelineError(`${where}: ${e.message}`);
    }
    throw new PipelineError(
      `${path.relative(cwdOf(opts), config.file)}: planning failed: ${errorMessage(e)}`,
    );
  }
  const dag = buildDag(refs, opts.stages, { locate: config.locate });
  const store = new Store(path.resolve(config.root, config.run.store));
  return { config, dag, store, lockFile: lockPathFor(config.file) };
}

/** The stage's compute estimate of an instance, if it gives one (a failing estimate only warns). */
function estimateOf(inst: Instance, warn: (m: string) => void): Estimate | undefined {
  if (!inst.stage.estimate) return undefined;
  try {
    return inst.stage.estimate(inst.stage.params.parse(inst.params));
  } catch (e) {
    warn(`${inst.id}: no compute estimate (${errorMessage(e)})`);
    return undefined;
  }
}

/** Wall-clock hours of the instances to run on one device, by stage kind, with the top runs. */
export class HoursByKind {
  #byKind = new Map<string, number>();
  #runs: { id: string; seconds: number }[] = [];
  #unknown = 0;
  #bases = new Set<string>();
  constructor(readonly device: string) {}

  /** Adds an instance's estimate (a stage without a time for this device counts as unknown). */
  add(inst: Instance, est: Estimate): void {
    const t = est.seconds?.(this.device);
    if (!t) {
      this.#unknown += 1;
      return;
    }
    this.#byKind.set(inst.kind, (this.#byKind.get(inst.kind) ?? 0) + t.seconds);
    this.#runs.push({ id: inst.id, seconds: t.seconds });
    this.#bases.add(t.basis);
  }

  /** The printed lines: per kind, total, top 3, and the measurements used. */
  lines(): string[] {
    const h = (s: number) => {
      const x = s / 3600;
      return x >= 100 ? `${Math.round(x).toLocaleString("en-US")} h` : `${x.toPrecision(3)} h`;
    };
    if (this.#runs.length === 0) {
      return this.#unknown > 0
        ? [`estimated hours on ${this.device}: no measured step time for this device`]
        : [];
    }
    const total = this.#runs.reduce((a, r) => a + r.seconds, 0);
    const top = [...this.#runs].sort((a, b) => b.seconds - a.seconds).slice(0, 3);
    return [
      `estimated hours on ${this.device} (one job at a time): ${h(total)} in total` +
      (this.#unknown > 0 ? ` (${this.#unknown} runs without an estimate)` : ""),
      ...[...this.#byKind].sort((a, b) => b[1] - a[1]).map(([k, s]) => `  ${k}: ${h(s)}`),
      "  dominant runs:",
      ...top.map((r) => `    ${h(r.seconds)} ${r.id}`),
      `  based on measured step times, scaled by FLOPs: ${[...this.#bases].sort().join("; ")}`,
    ];
  }
}

/** `1.2 PFLOP` style. */
export function formatFlops(flops: number): string {
  const units = ["FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP", "EFLOP"];
  let i = 0;
  let x = flops;
  while (x >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return `${x.toPrecision(3)} ${units[i]}`;
}

/** Total compute with wall-time equivalents at a sustained GPU and CPU rate. */
export function describeCompute(flops: number): string {
  const gpuHours = flops / 100e12 / 3600;
  const cpuHours = flops / 50e9 / 3600;
  return `estimated compute: ${formatFlops(flops)} ≈ ${gpuHours.toPrecision(3)} GPU-hours at ` +
    `100 TFLOP/s sustained, ≈ ${cpuHours.toPrecision(3)} hours at 50 GFLOP/s (2 CPU cores)`;
}

function fmtReasons(v: Verdict): string {
  return v.reasons.join("; ");
}

/** Runs the pipeline CLI; returns the process exit code. */
export async function main(args: string[], opts: MainOptions): Promise<number> {
  const out = opts.stdout ?? stdoutOutput();
  const errText = opts.stderr ?? ((t: string) => console.error(t));
  const print = (t: string) => out.write(t + "\n");
  try {
    const p = parseArgs(args, opts);
    switch (p.command) {
      case "run":
        return await cmdRun(p, opts, out, print, errText);
      case "status":
        return cmdStatus(p, opts, print, errText);
      case "dag":
        return cmdDag(p, opts, print);
      case "show":
        return cmdShow(p, opts, print);
      case "gc":
        return await cmdGc(p, opts, print, errText);
      case "verify":
        return await cmdVerify(p, opts, print, errText);
    }
    return 2;
  } catch (e) {
    if (e instanceof PipelineError) {
      if (e.message === "__usage__") {
        (e.exitCode === 0 ? print : errText)(usage(opts));
        return e.exitCode;
      }
      errText(`error: ${e.message}`);
      return e.exitCode;
    }
    const cause = environmentCause(e);
    if (cause) {
      errText(
        `error: cannot write what the pipeline needs: ${cause}; nothing half-written was left ` +
          `(make the store and project writable, or free space, and run again)`,
      );
      return EXIT.environment;
    }
    errText(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return EXIT.internal;
  }
}

/** The command names `main` knows (a first word that is none of them is a `run` selector). */
export const COMMANDS: readonly string[] = ["run", "status", "dag", "show", "gc", "verify"];

/**
 * The arguments `main` gets from a project entry point that makes `run` the default command:
 * a first word that is no command starts `run`'s selectors. Options may come before the command
 * (`--config x.yaml status`): when the arguments start with an option, the first command word
 * among them is the command.
 */
export function routeArgs(args: string[]): string[] {
  const first = args[0];
  const isCommand = first !== undefined &&
    (COMMANDS.includes(first) || ["help", "--help", "-h"].includes(first));
  if (isCommand) return args;
  if (first?.startsWith("--")) {
    const at = args.findIndex((a) => COMMANDS.includes(a));
    if (at > 0) return [args[at], ...args.slice(0, at), ...args.slice(at + 1)];
  }
  return ["run", ...args];
}

/** Selects, telling a mistyped command (`statuss`) from an unknown stage kind. */
function selectOrExplain(dag: Dag, texts: string[]): Instance[] {
  try {
    return selectInstances(dag, texts);
  } catch (e) {
    const word = texts.find((t) => /^[A-Za-z-]+$/.test(t) && !dag.stages.has(t));
    const cmd = word && didYouMean(word, COMMANDS);
    if (e instanceof PipelineError && word && cmd) {
      throw new PipelineError(
        `"${word}" is neither a command nor a stage kind: did you mean the command "${cmd}"? ` +
          `(commands: ${COMMANDS.join(", ")}; as a run selector: ${e.message})`,
      );
    }
    throw e;
  }
}

function selection(p: Parsed, dag: Dag): { targets: Instance[]; considered: Instance[] } {
  // Without selectors: every planned instance, except those run only when a stage obtains them.
  const targets = p.positional.length > 0
    ? selectOrExplain(dag, p.positional)
    : dag.instances.filter((i) => !i.onDemandOnly);
  const down = p.flags.has("--downstream");
  const considered = down ? withUpstream(withDownstream(targets)) : withUpstream(targets);
  return { targets: down ? withDownstream(targets) : targets, considered };
}

function parseJobs(v: string | true | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new PipelineError(`--jobs: expected a positive integer, got "${v}"`);
  }
  return n;
}

/** `--device`, validated by the device option, else `run.device`. */
function deviceOf(p: Parsed, opts: MainOptions, config: LoadedConfig): string {
  const flag = p.flags.get("--device") as string | undefined;
  if (flag === undefined) return config.run.device;
  try {
    return (opts.device ?? ANY_DEVICE).parse(flag, "--device");
  } catch (e) {
    throw new PipelineError(errorMessage(e));
  }
}

/** The chosen executor plug-in and its settings. */
function chooseExecutor(
  p: Parsed,
  opts: MainOptions,
  config: LoadedConfig,
): { plugin: ExecutorPlugin<unknown>; options: unknown } {
  const executors = executorsOf(opts);
  const flag = p.flags.get("--executor") as string | undefined;
  const plugin = flag !== undefined
    ? findExecutor(executors, flag)
    : findExecutor(executors, config.run.executor, config.locate(["run", "executor"]));
  for (const other of executors) {
    if (other === plugin) continue;
    const f = (other.flags ?? []).find((x) => p.flags.has(x.name));
    if (f) throw new PipelineError(`${f.name} applies to --executor ${other.name} only`);
  }
  // A section is validated even when its executor is not used, so a typo in it is found early.
  const sections = new Map<string, unknown>();
  for (const e of executors) {
    const raw = config.run.sections[e.name];
    if (e.section && (e === plugin || raw !== undefined)) {
      sections.set(e.name, validateSection(e.section, raw, ["run", e.name], config.locate));
    }
  }
  const flags: Record<string, string> = {};
  for (const f of plugin.flags ?? []) {
    const v = p.flags.get(f.name);
    if (typeof v === "string") flags[f.name] = v;
  }
  const options = plugin.settings({
    section: sections.get(plugin.name) ?? {},
    flags,
    locate: config.locate,
  });
  return { plugin, options };
}

/** The task the runner would hand over for an instance. */
function taskOf(inst: Instance, storePath: string, device: string): Task {
  return {
    key: inst.key,
    id: inst.id,
    kind: inst.kind,
    storePath,
    resources: inst.resources,
    device,
  };
}

async function cmdRun(
  p: Parsed,
  opts: MainOptions,
  out: Output,
  print: (t: string) => void,
  errText: (t: string) => void,
): Promise<number> {
  const { config, dag, store, lockFile } = load(p, opts);
  const { targets, considered } = selection(p, dag);
  const forced = new Set(p.flags.has("--force") ? targets : []);
  const device = deviceOf(p, opts, config);
  const chosen = chooseExecutor(p, opts, config);
  const jobs = parseJobs(
    p.flags.get("--jobs"),
    chosen.plugin.defaultJobs?.(chosen.options) ?? config.run.jobs,
  );
  const context = (notify: (m: string) => void): ExecutorContext<unknown> => ({
    options: chosen.options,
    jobs,
    device,
    storePath: store.root,
    notify,
  });
  const warn = (m: string) => errText(`warning: ${m}`);
  if (p.flags.has("--dry-run")) {
    const state = new StateCache(store.stateFile).load();
    const verdicts = evaluate({
      dag,
      considered,
      forced,
      store,
      state,
      lockFile,
      repair: false,
      warn,
    });
    const toRun = verdicts.filter((v) => v.action === "run");
    for (const note of opts.planner.notes?.(config.experiment, { root: config.root }) ?? []) {
      print(note);
    }
    let flops = 0;
    const hours = new HoursByKind(device);
    for (const v of toRun) {
      const est = estimateOf(v.inst, warn);
      if (est) flops += est.flops;
      if (est) hours.add(v.inst, est);
      const cost = est ? ` [${formatFlops(est.flops)}${est.note ? `: ${est.note}` : ""}]` : "";
      print(`would run ${v.inst.id}: ${fmtReasons(v)}${cost}`);
    }
    print(
      `${toRun.length} would run, ${
        verdicts.length - toRun.length
      } cached (dry run: nothing changed)`,
    );
    if (flops > 0) print(describeCompute(flops));
    for (const line of hours.lines()) print(line);
    if (chosen.plugin.dryRun) {
      const tasks = toRun.map((v) => taskOf(v.inst, store.root, device));
      print(chosen.plugin.dryRun(tasks, context(() => {})));
    }
    return 0;
  }
  let lock;
  try {
    store.ensure();
    lock = await acquireRunLock(store.lockFile, {
      wait: !p.flags.has("--no-wait"),
      command: ["pipeline", ...Deno.args].join(" "),
      notify: (m) => errText(m),
    });
  } catch (e) {
    const cause = environmentCause(e);
    if (!cause) throw e;
    return readOnlyRun(
      {
        dag,
        considered,
        forced,
        store,
        lockFile,
        root: config.root,
        cwd: cwdOf(opts),
      },
      cause,
      {
        print,
        warn,
      },
    );
  }
  registerUser(store, config.file, lockFile, warn);
  const ac = new AbortController();
  let stopSignal: "SIGINT" | "SIGTERM" | undefined;
  const stopOn = (sig: "SIGINT" | "SIGTERM") => () => {
    if (ac.signal.aborted) return;
    stopSignal = sig;
    errText(`interrupted (${sig}): stopping running instances …`);
    ac.abort();
  };
  const onSigint = stopOn("SIGINT");
  const onSigterm = stopOn("SIGTERM");
  const external = opts.signal;
  external?.addEventListener("abort", onSigint, { once: true });
  let signals = false;
  if (!external) {
    try {
      Deno.addSignalListener("SIGINT", onSigint);
      Deno.addSignalListener("SIGTERM", onSigterm);
      signals = true;
    } catch { /* no signals here */ }
  }
  const t0 = performance.now();
  let summary: RunSummary;
  try {
    store.sweepTmp();
    const state = new StateCache(store.stateFile).load();
    const verdicts = evaluate({
      dag,
      considered,
      forced,
      store,
      state,
      lockFile,
      repair: true,
      warn,
    });
    const reporter = new ProgressReporter(out);
    const executor: Executor = chosen.plugin.create(
      context((m) => reporter.message(`${chosen.plugin.name}: ${m}`)),
    );
    for (const v of verdicts) {
      if (v.action === "run" && !out.isTerminal) print(`will run ${v.inst.id}: ${fmtReasons(v)}`);
    }
    summary = await execute({
      dag,
      verdicts,
      store,
      state,
      executor,
      reporter,
      jobs,
      device,
      projectRoot: config.root,
      lockFile,
      signal: ac.signal,
      warn,
    });
  } finally {
    if (signals) {
      Deno.removeSignalListener("SIGINT", onSigint);
      Deno.removeSignalListener("SIGTERM", onSigterm);
    }
    external?.removeEventListener("abort", onSigint);
    lock.release();
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const nFail = summary.failed.length;
  const replaced = summary.replaced > 0
    ? ` (${summary.replaced} forced: recomputed and replaced)`
    : "";
  const reused = summary.reused > 0 ? `, reused ${summary.reused}` : "";
  print(
    `ran ${summary.ran}${replaced}${reused}, cached ${summary.cached}, failed ${nFail}, skipped ${summary.skipped.length} in ${secs}s` +
      (summary.interrupted ? ` (interrupted by ${stopSignal ?? "SIGINT"})` : ""),
  );
  if (nFail > 0) {
    print("\nfailures:");
    for (const f of summary.failed.slice(0, 20)) {
      print(`  ${f.inst.id}: ${f.error}`);
      print(`    log: ${path.relative(cwdOf(opts), f.logPath)}`);
      for (const l of logTail(f.logPath, 8)) print(`    | ${l}`);
    }
    if (nFail > 20) print(`  … and ${nFail - 20} more failures (see \`status\`)`);
  }
  if (summary.skipped.length > 0) {
    const ids = summary.skipped.map((i) => i.id);
    const more = ids.length > 10 ? `, … and ${ids.length - 10} more` : "";
    print(`\nskipped (an input failed): ${ids.slice(0, 10).join(", ")}${more}`);
  }
  if (summary.interrupted) return stopSignal === "SIGTERM" ? EXIT.sigterm : EXIT.interrupted;
  return nFail > 0 || summary.skipped.length > 0 ? 1 : 0;
}

function cmdStatus(
  p: Parsed,
  opts: MainOptions,
  print: (t: string) => void,
  errText: (t: string) => void,
): number {
  const { dag, store, lockFile } = load(p, opts);
  const { considered } = selection(p, dag);
  const state = new StateCache(store.stateFile).load();
  const verdicts = evaluate({
    dag,
    considered,
    forced: new Set(),
    store,
    state,
    lockFile,
    repair: false,
    warn: (m) => errText(`warning: ${m}`),
  });
  let stale = 0;
  for (const v of verdicts) {
    if (v.action === "cached") {
      print(`  ok    ${v.inst.id}`);
      continue;
    }
    stale += 1;
    let last = "";
    try {
      const r = JSON.parse(Deno.readTextFileSync(resultPath(store, v.inst.key)));
      if (r && r.ok === false) last = ` — last attempt failed: ${r.error}`;
    } catch { /* never attempted */ }
    const resumable = resumableNote(store, v.inst.key);
    print(`  run   ${v.inst.id}: ${fmtReasons(v)}${resumable}${last}`);
  }
  // On-demand instances: run only when the stage that may need them obtains them.
  const shown = new Set(considered);
  let onDemand = 0;
  for (const inst of withUpstreamAndOnDemand(considered)) {
    if (shown.has(inst)) continue;
    const committed = store.exists() && store.verify(inst.key, state, false).ok;
    if (committed) print(`  ok    ${inst.id} (on demand)`);
    else {
      onDemand += 1;
      print(`  demand ${inst.id}: runs only if obtained`);
    }
  }
  print(
    `${verdicts.length - stale} up to date, ${stale} to run` +
      (onDemand > 0 ? `, ${onDemand} on demand` : ""),
  );
  return 0;
}

function cmdDag(p: Parsed, opts: MainOptions, print: (t: string) => void): number {
  const { dag } = load(p, opts);
  const considered = withUpstreamAndOnDemand(selection(p, dag).considered);
  const format = (p.flags.get("--format") as string | undefined) ?? "text";
  if (format === "text") print(renderText(considered).trimEnd());
  else if (format === "mermaid") print(renderMermaid(considered).trimEnd());
  else if (format === "dot") print(renderDot(considered).trimEnd());
  else throw new PipelineError(`--format: expected text, mermaid or dot, got "${format}"`);
  return 0;
}

function cmdShow(p: Parsed, opts: MainOptions, print: (t: string) => void): number {
  if (p.positional.length !== 1) {
    throw new PipelineError(`show: expected one instance id or pattern`);
  }
  const { dag, store } = load(p, opts);
  const wanted = p.positional[0];
  const reusing = isKeyPrefix(wanted) && !dag.instances.some((i) => i.key.startsWith(wanted))
    ? dag.instances.filter((i) => store.readManifest(i.key)?.adoptedFrom?.key.startsWith(wanted))
    : [];
  if (reusing.length > 0) {
    print(`${wanted}: an earlier computation whose artifact is reused by:`);
  }
  const hits = reusing.length > 0 ? reusing : selectInstances(dag, p.positional);
  if (hits.length !== 1) {
    throw new PipelineError(
      `show: "${p.positional[0]}" matches ${hits.length} instances: ${
        hits.slice(0, 10).map((i) => i.id).join(", ")
      }${hits.length > 10 ? ", …" : ""}`,
    );
  }
  const inst = hits[0];
  const state = new StateCache(store.stateFile).load();
  const v = store.exists() ? store.verify(inst.key, state, false) : undefined;
  print(`${inst.id}`);
  print(`  kind:    ${inst.kind} — ${inst.stage.description}`);
  print(`  key:     ${inst.key}`);
  print(`  code:    ${inst.code}`);
  print(`  params:  ${JSON.stringify(inst.params)}`);
  const ins = Object.entries(inst.inputs);
  print(`  inputs:${ins.length === 0 ? " none" : ""}`);
  for (const [n, up] of ins) print(`    ${n}: ${up.id} (${up.key.slice(0, 12)})`);
  for (const [n, up] of Object.entries(inst.onDemand)) {
    print(`    ${n} (on demand): ${up.id} (${up.key.slice(0, 12)})`);
  }
  if (inst.publish) print(`  publish: ${inst.publish}`);
  if (v?.ok) {
    const from = v.manifest.adoptedFrom;
    print(
      from
        ? `  status:  committed ${v.manifest.created}, reusing ${from.key} (its inputs held the ` +
          `same bytes; ran ${v.manifest.seconds}s then)`
        : `  status:  committed ${v.manifest.created} (ran ${v.manifest.seconds}s)`,
    );
    print(`  outputs:`);
    for (const [rel, f] of Object.entries(v.manifest.files)) {
      print(`    ${rel}  ${f.size} bytes  sha256 ${f.digest.slice(0, 16)}`);
    }
    print(`  folder:  ${store.viewDir(inst.key)}`);
  } else {
    print(
      `  status:  not committed${
        v && !v.ok && v.reason === "corrupt" ? ` (corrupt: ${v.detail})` : ""
      }`,
    );
    print(`  outputs: ${inst.outputs.join(", ")}`);
  }
  const logFile = store.logPath(inst.key);
  const tail = logTail(logFile, 20);
  print(`  log:     ${path.relative(cwdOf(opts), logFile)}${tail.length === 0 ? " (empty)" : ""}`);
  for (const l of tail) print(`    | ${l}`);
  return 0;
}

async function cmdGc(
  p: Parsed,
  opts: MainOptions,
  print: (t: string) => void,
  errText: (t: string) => void,
): Promise<number> {
  const { config, dag, store, lockFile } = load(p, opts);
  if (!store.exists()) {
    print("store is empty: nothing to collect");
    return 0;
  }
  const warn = (m: string) => errText(`warning: ${m}`);
  const dry = p.flags.has("--dry-run");
  const lock = await acquireRunLock(store.lockFile, {
    wait: !p.flags.has("--no-wait"),
    command: ["pipeline", ...Deno.args].join(" "),
    notify: (m) => errText(m),
  });
  try {
    if (!dry) registerUser(store, config.file, lockFile, warn);
    const owners = keyOwners(
      store,
      { config: config.file, lock: lockFile, planned: dag.instances.map((i) => i.key) },
      warn,
    );
    const live = liveKeys(owners);
    const stored = new Set(store.listArtifacts());
    const rel = (f: string) => path.relative(cwdOf(opts), f) || f;
    for (const o of owners) {
      const kept = [...o.keys].filter((k) => stored.has(k)).length;
      print(`  ${rel(o.label)}: ${dry ? "keeps" : "kept"} ${kept} artifacts`);
    }
    const state = new StateCache(store.stateFile).load();
    const r = store.gc(live, state, dry);
    if (!dry) state.save(store.tmp);
    const mb = (r.bytes / 1048576).toFixed(1);
    print(`  unreferenced: ${r.artifacts} artifacts${dry ? " to delete" : " deleted"}`);
    print(
      `${
        dry ? "would remove" : "removed"
      } ${r.artifacts} artifacts, ${r.blobs} blobs (${mb} MiB), ${r.workDirs} work folders`,
    );
  } finally {
    lock.release();
  }
  return 0;
}

async function cmdVerify(
  p: Parsed,
  opts: MainOptions,
  print: (t: string) => void,
  errText: (t: string) => void,
): Promise<number> {
  const { dag, store } = load(p, opts);
  const { considered } = selection(p, dag);
  if (!store.exists()) {
    print(`store ${store.root} does not exist: nothing to verify`);
    return EXIT.ok;
  }
  const repair = p.flags.has("--repair");
  const lock = repair
    ? await acquireRunLock(store.lockFile, {
      wait: !p.flags.has("--no-wait"),
      command: ["pipeline", ...Deno.args].join(" "),
      notify: (m) => errText(m),
    })
    : undefined;
  try {
    const state = new StateCache(store.stateFile).load();
    let ok = 0;
    let missing = 0;
    const corrupt: Instance[] = [];
    for (const inst of considered) {
      const c = checkArtifact(store, inst.key);
      if (c.status === "missing") {
        missing += 1;
        continue;
      }
      if (c.status === "ok") {
        ok += 1;
        continue;
      }
      corrupt.push(inst);
      print(`CORRUPT ${inst.id} (${store.manifestPath(inst.key)})`);
      if (c.detail) print(`  ${c.detail}`);
      for (const b of c.bad) {
        print(
          `  ${b.file}: expected sha256 ${b.expected}, found ${
            b.actual === "missing" ? "no blob" : `sha256 ${b.actual}`
          } (${b.blob})`,
        );
      }
      if (repair) repairArtifact(store, c, state);
    }
    if (repair && corrupt.length > 0) state.save(store.tmp);
    print(
      `verified ${ok + corrupt.length} artifacts: ${ok} ok, ${corrupt.length} corrupt` +
        (missing > 0 ? ` (${missing} selected instances not committed)` : ""),
    );
    if (corrupt.length === 0) return EXIT.ok;
    if (repair) {
      print(`dropped ${corrupt.length} corrupt artifacts: the next run recomputes them`);
      return EXIT.ok;
    }
    print("run `verify --repair` to drop them so the next run recomputes them");
    return EXIT.failed;
  } finally {
    lock?.release();
  }
}

/** `; resumable (from step 7 of 12)` when an earlier attempt left scratch state to resume from. */
function resumableNote(store: Store, key: string): string {
  const scratch = path.join(store.workDir(key), "scratch");
  let files = 0;
  try {
    for (const _ of Deno.readDirSync(scratch)) files += 1;
  } catch {
    return "";
  }
  if (files === 0) return "";
  const e = readElapsed(store.workDir(key));
  const at = e.progress
    ? `from step ${e.progress.done} of ${e.progress.total}`
    : "scratch state kept";
  const spent = e.seconds > 0
    ? `, ${e.seconds}s over ${e.attempts} attempt${e.attempts > 1 ? "s" : ""}`
    : "";
  return `; resumable (${at}${spent})`;
}
