/**
 * Test helpers: a throw-away copy of the synthetic project (tests edit its stage and lib
 * modules), run through the CLI in-process or as a real subprocess.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { executors } from "../../executors/mod.ts";
import { main } from "../../lib/pipeline/cli.ts";
import type { Output } from "../../lib/pipeline/progress.ts";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURE = path.join(REPO, "tests/pipeline/fixtures/project");
const REPO_URL = new URL("../../", import.meta.url).href;

/** A result of one CLI invocation. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** A temporary project: the synthetic stages plus a config file. */
export class TestProject {
  constructor(readonly dir: string) {}

  get config(): string {
    return path.join(this.dir, "pipeline.yaml");
  }
  get store(): string {
    return path.join(this.dir, ".idim/store");
  }
  get lockFile(): string {
    return path.join(this.dir, "pipeline.lock");
  }

  /** Writes the config file. */
  writeConfig(yaml: string): void {
    Deno.writeTextFileSync(this.config, yaml);
  }

  /** Appends a line to a project module (a code edit). */
  edit(rel: string, extra: string): void {
    Deno.writeTextFileSync(path.join(this.dir, rel), extra, { append: true });
  }

  /** Runs the CLI in this process (instances still run as subprocesses unless told). */
  async cli(...args: string[]): Promise<CliResult> {
    const mod = await import(path.join(this.dir, "stages/mod.ts"));
    const { planner } = await import(path.join(this.dir, "planner.ts"));
    let out = "";
    let err = "";
    const stdout: Output = { write: (t) => (out += t), isTerminal: false };
    // The project folder is the CLI's working folder without a process-wide chdir: test modules
    // run concurrently in one process.
    const code = await main(args, {
      planner,
      stages: mod.stages,
      executors,
      defaultConfig: "pipeline.yaml",
      stdout,
      stderr: (t) => (err += t + "\n"),
      cwd: this.dir,
    });
    return { code, out, err };
  }

  /** The command that runs the CLI as a real subprocess. */
  command(...args: string[]): Deno.Command {
    return new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "-q", path.join(this.dir, "entry.ts"), ...args],
      cwd: this.dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
  }

  /** Runs the CLI as a subprocess and waits. */
  async sub(...args: string[]): Promise<CliResult> {
    const r = await this.command(...args).output();
    const dec = new TextDecoder();
    return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  }

  /** Removes the project. */
  remove(): void {
    Deno.removeSync(this.dir, { recursive: true });
  }
}

function copyTree(src: string, dest: string): void {
  Deno.mkdirSync(dest, { recursive: true });
  for (const e of Deno.readDirSync(src)) {
    const s = path.join(src, e.name);
    const d = path.join(dest, e.name);
    if (e.isDirectory) copyTree(s, d);
    else {
      const text = Deno.readTextFileSync(s).replace(
        /(["'])(?:\.\.\/)+(lib\/pipeline\/|executors\/)/g,
        `$1${REPO_URL}$2`,
      );
      Deno.writeTextFileSync(d, text);
    }
  }
}

/**
 * Creates a fresh project copy inside the repository (under the ignored `.idim/`, so bare npm
 * imports such as "zod" resolve) with the given config.
 */
export function makeProject(name: string, yaml?: string): TestProject {
  const base = path.join(REPO, ".idim/test-tmp");
  Deno.mkdirSync(base, { recursive: true });
  const dir = Deno.makeTempDirSync({ dir: base, prefix: `${name}-` });
  copyTree(FIXTURE, dir);
  const p = new TestProject(dir);
  if (yaml !== undefined) p.writeConfig(yaml);
  return p;
}

/** A small config: one source, lrs × seeds train runs, one summary. */
export function basicConfig(opts: {
  lr?: number[];
  seeds?: number[];
  steps?: number;
  sleepMs?: number;
  fail?: number[];
  sources?: string[];
  jobs?: number;
  executor?: string;
} = {}): string {
  const sources = (opts.sources ?? ["alpha"]).map((s) => `    - { name: ${s}, size: 5 }`).join(
    "\n",
  );
  return `run:
  jobs: ${opts.jobs ?? 2}
  executor: ${opts.executor ?? "local"}
experiment:
  sources:
${sources}
  train:
    lr: [${(opts.lr ?? [0.1, 0.2]).join(", ")}]
    seeds: [${(opts.seeds ?? [0]).join(", ")}]
${opts.steps ? `    steps: ${opts.steps}\n` : ""}${
    opts.sleepMs ? `    sleepMs: ${opts.sleepMs}\n` : ""
  }${opts.fail ? `    fail: [${opts.fail.join(", ")}]\n` : ""}`;
}

/** The ids reported `done` in a run's plain output. */
export function ranIds(out: string): Set<string> {
  const ids = new Set<string>();
  for (const m of out.matchAll(/^\[\s*\d+\/\d+\] done (.+) \d+(?:\.\d+)?s$/gm)) ids.add(m[1]);
  return ids;
}

/** The ids a run reports as reused (the early cut-off: not recomputed). */
export function reusedIds(out: string): Set<string> {
  const ids = new Set<string>();
  for (const m of out.matchAll(/^\[\s*\d+\/\d+\] reused (.+): inputs unchanged/gm)) ids.add(m[1]);
  return ids;
}

/** Checks the whole store: every blob's content matches its name, every manifest's blobs exist. */
export function verifyStore(storeDir: string): { artifacts: number; blobs: number } {
  const sha = (f: string) => createHash("sha256").update(Deno.readFileSync(f)).digest("hex");
  let blobs = 0;
  const objects = path.join(storeDir, "objects");
  for (const sub of Deno.readDirSync(objects)) {
    for (const b of Deno.readDirSync(path.join(objects, sub.name))) {
      const f = path.join(objects, sub.name, b.name);
      assert.equal(sha(f), sub.name + b.name, `blob ${f} matches its digest`);
      blobs += 1;
    }
  }
  let artifacts = 0;
  for (const a of Deno.readDirSync(path.join(storeDir, "artifacts"))) {
    const m = JSON.parse(Deno.readTextFileSync(path.join(storeDir, "artifacts", a.name)));
    for (const [rel, f] of Object.entries(m.files as Record<string, { digest: string }>)) {
      const blob = path.join(objects, f.digest.slice(0, 2), f.digest.slice(2));
      assert.ok(existsSync(blob), `blob of ${rel} in ${a.name} exists`);
    }
    artifacts += 1;
  }
  return { artifacts, blobs };
}

/** The key of an instance id, from the lock file. */
export function lockKey(p: TestProject, id: string): string {
  const text = Deno.readTextFileSync(p.lockFile);
  const i = text.indexOf(`"${id}":`);
  assert.ok(i >= 0, `${id} is in the lock file`);
  return /key: ([0-9a-f]{64})/.exec(text.slice(i))![1];
}

/** Polls `probe` every 25 ms until it returns a value; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 30000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
