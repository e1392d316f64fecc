/**
 * The idim planner on the shipped configurations: what a researcher's config expands to, what
 * a dry run prints, and where a mistake in the config is reported.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { executors } from "../../executors/mod.ts";
import { DEVICE_OPTION } from "../../lib/device/device.ts";
import { main } from "../../lib/pipeline/cli.ts";
import { loadConfig } from "../../lib/pipeline/config.ts";
import { buildDag } from "../../lib/pipeline/dag.ts";
import { IdimPlan, idimPlanner } from "../../lib/plan/idim_planner.ts";
import { stages } from "../../stages/mod.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function planOf(file: string) {
  const config = loadConfig(file, idimPlanner, { executors, device: DEVICE_OPTION });
  return buildDag(idimPlanner.plan(config.experiment), stages, { locate: config.locate });
}

/** Instance counts by kind; the on-demand-only ones (extension lrs, weight-keeping twins) apart, as `<kind>?`. */
function countKinds(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const inst of planOf(file).instances) {
    const k = inst.onDemandOnly ? `${inst.kind}?` : inst.kind;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, {
    planner: idimPlanner,
    stages,
    executors,
    device: DEVICE_OPTION,
    defaultConfig: path.join(REPO, "pipeline.yaml"),
    stdout: { write: (t) => (out += t), isTerminal: false },
    stderr: (t) => (err += t),
  });
  return { code, out, err };
}

Deno.test("paper.yaml plans both experiment sets: 21 thresholds, 785 training runs", () => {
  const kinds = countKinds(path.join(REPO, "experiments/paper.yaml"));
  // RoBERTa-Large × 4 tasks + 3 more models × ANLI = 7 (model, task) pairs × DID, SAID, LoRA.
  assert.equal(kinds["threshold"], 21);
  // Per pair: 10 d × 4 lrs (DID) + 10 d × 4 lrs (SAID) + 10 r × 3 lrs (LoRA) + 3 baseline lrs,
  // less r = 1000 for the two base models (hidden 768): dropped at plan time, 3 lrs each.
  const trains = kinds["train-full"] + kinds["train-subspace"] + kinds["train-lora"];
  assert.equal(kinds["train-full"], 7 * 3);
  assert.equal(trains, 7 * (40 + 40 + 30) + 7 * 3 - 2 * 3);
  assert.equal(kinds["download-model"], 4);
  // One dataset per task; ANLI is shared by both sets.
  assert.equal(kinds["download-dataset"], 4);
  // A graph per (model, label count, method, size), shared by every lr and by the tasks of
  // the same label count and length: RoBERTa-Large has 2-label (GLUE) and 3-label (ANLI) graphs.
  assert.equal(kinds["export-graphs"], (2 + 3) * (10 + 10 + 10 + 1) - 2);
  assert.equal(kinds["report"], 1);
  // On demand (planned and keyed, run only when obtained): the lr edge extension (lr_extend: 2
  // by default: two lrs beyond each end of every point's grid, 31 points per pair) and, for
  // experiment.spectrum (default true), a delta-spectrum per (model, task, seed) with a measured
  // baseline whose runs are weight-keeping twins of every lr a chosen run may have (grid and
  // extension) of the baseline and of every LoRA and DID grid point.
  assert.equal(kinds["delta-spectrum"], 7);
  const extension = 7 * 31 * 4 - 2 * 4;
  assert.equal(kinds["train-full?"], 7 * 4 + 7 * (3 + 4));
  assert.equal(kinds["train-lora?"], 7 * 10 * 4 - 2 * 4 + 7 * 10 * (3 + 4) - 2 * (3 + 4));
  assert.equal(kinds["train-subspace?"], 7 * 20 * 4 + 7 * 10 * (4 + 4));
  assert.equal(
    kinds["train-full?"] + kinds["train-lora?"] + kinds["train-subspace?"],
    extension + 7 * (7 + 10 * 7 + 10 * 8) - 2 * 7,
  );
});

Deno.test("paper.yaml dry run lists every training run with its compute and a total", async () => {
  const r = await cli("run", "--config", path.join(REPO, "experiments/paper.yaml"), "--dry-run");
  assert.equal(r.code, 0, r.err);
  const trainLines = r.out.split("\n").filter((l) => /^would run train-/.test(l));
  assert.equal(trainLines.length, 785);
  // No impossible point: SAID is per layer (m ≤ 27 < 100), r = 1000 is dropped for base models.
  assert.deepEqual(r.out.split("\n").filter((l) => l.startsWith("dropped: ")), [
    "dropped: lora r=1000 for bert-base (r > 768, the smaller side of the targeted Linear layers)",
    "dropped: lora r=1000 for roberta-base (r > 768, the smaller side of the targeted Linear " +
    "layers)",
  ]);
  for (const l of trainLines) assert.match(l, /\[[0-9.]+ [PEGT]FLOP: \d+ steps × 16×128 tokens/);
  assert.match(r.out, /estimated compute: [0-9.]+ EFLOP ≈ [0-9.]+ GPU-hours/);
  // Hours on the chosen device (cpu here) from measured step times, per stage kind, top 3 runs.
  assert.match(r.out, /estimated hours on cpu \(one job at a time\): [0-9,.]+ h in total/);
  assert.match(
    r.out,
    /\n {2}train-subspace: [0-9,.]+ h\n {2}train-lora: [0-9,.]+ h\n {2}train-full: /,
  );
  assert.equal((r.out.match(/^ {4}[0-9,.]+ h train-/gm) ?? []).length, 3);
  assert.match(
    r.out,
    /based on measured step times, scaled by FLOPs: bench\/results\/models\.json/,
  );
});

Deno.test("the default pipeline.yaml: d90 and r90 at every pretraining checkpoint, 3 seeds, lr on seed 0", () => {
  const file = path.join(REPO, "pipeline.yaml");
  const kinds = countKinds(file);
  assert.ok(kinds["pretrain"] >= 2, "several pretraining checkpoints");
  assert.equal(kinds["threshold"], 3 * 2, "DID d90 and LoRA r90 at each of 3 checkpoints");
  assert.equal(kinds["threshold-search"], 3 * 2, "the adaptive search beside every grid");
  assert.equal(kinds["download-model"] ?? 0, 0, "the default downloads nothing");
  assert.equal(kinds["report"], 1);
  const points = planOf(file).instances.filter((i) => i.kind === "lr-search" && !i.onDemandOnly);
  const seeds = new Set(
    points.map((p) => (p.params.train as { params: { seed: number } }).params.seed),
  );
  assert.deepEqual([...seeds].sort(), [0, 1, 2]);
  for (const p of points) {
    const seed = (p.params.train as { params: { seed: number } }).params.seed;
    assert.equal("follow" in p.inputs, seed !== 0, "seeds 1 and 2 follow seed 0's lr");
  }
});

Deno.test("a config naming an unknown model in a set fails at that line, writing nothing", async () => {
  const dir = Deno.makeTempDirSync();
  const file = path.join(dir, "bad.yaml");
  const text = Deno.readTextFileSync(path.join(REPO, "experiments/paper.yaml"))
    .replace("models: [roberta-large]\n", "models: [roberta-lage]\n");
  Deno.writeTextFileSync(file, text);
  const line = text.split("\n").findIndex((l) => l.includes("roberta-lage")) + 1;
  const r = await cli("run", "--config", file, "--dry-run");
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    new RegExp(
      `bad\\.yaml:${line}:\\d+: experiment\\.sets\\.0\\.models: unknown model "roberta-lage"`,
    ),
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bad.yaml"]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("adding one d to the grid adds exactly that point's instances; the rest keep their keys", () => {
  const dir = Deno.makeTempDirSync();
  const base = Deno.readTextFileSync(path.join(REPO, "experiments/paper.yaml"));
  const a = path.join(dir, "a.yaml");
  const b = path.join(dir, "b.yaml");
  Deno.writeTextFileSync(a, base);
  Deno.writeTextFileSync(b, base.replace("d: [100, 167,", "d: [50, 100, 167,"));
  const keysA = new Set(planOf(a).instances.map((i) => i.key));
  const added = planOf(b).instances.filter((i) => !keysA.has(i.key)).map((i) => i.kind);
  const counts: Record<string, number> = {};
  for (const k of added) counts[k] = (counts[k] ?? 0) + 1;
  // d=50 for DID only (SAID has its own grid line): 7 pairs × (4 lrs + 4 on-demand extension
  // lrs + lr-search), one graph per (model, label count), and every DID threshold, the
  // collection and the report change; so do the spectra (they read the DID threshold), with
  // 7 × 8 on-demand weight-keeping twins (grid and extension lrs).
  assert.deepEqual(counts, {
    "export-graphs": 5,
    "train-subspace": 56 + 56,
    "delta-spectrum": 7,
    "lr-search": 7,
    "threshold": 7,
    "collect-results": 1,
    "report": 1,
  });
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("training settings: method and task sections override experiment.train, run length as a unit", () => {
  const config = loadConfig(path.join(REPO, "experiments/paper.yaml"), idimPlanner, {
    executors,
    device: DEVICE_OPTION,
  });
  const plan = new IdimPlan(config.experiment);
  // paper.yaml: train has no steps; each task gives epochs; did overrides weight decay and dropout.
  const did = plan.settings("did", "mrpc");
  assert.equal(did.epochs, 20);
  assert.equal(did.steps, undefined);
  assert.equal(did.weight_decay, 0);
  assert.equal(did.dropout, 0);
  assert.equal(plan.settings("full", "mrpc").dropout, 0.1);
  // A global `steps` is replaced by a task's `epochs`, and the other way round.
  const exp = structuredClone(config.experiment);
  exp.train = { ...exp.train, steps: 500 };
  const p2 = new IdimPlan(exp);
  assert.deepEqual([p2.settings("lora", "qqp").steps, p2.settings("lora", "qqp").epochs], [
    undefined,
    3,
  ]);
  exp.tasks.qqp.train = { steps: 42 };
  assert.deepEqual([p2.settings("lora", "qqp").steps, p2.settings("lora", "qqp").epochs], [
    42,
    undefined,
  ]);
});

Deno.test("the config reference in README.md is a valid config that plans", async () => {
  const readme = Deno.readTextFileSync(path.join(REPO, "README.md"));
  const m = /```yaml\n(run:\n[\s\S]*?)```/.exec(readme);
  assert.ok(m, "README.md has a yaml block starting with run:");
  const dir = Deno.makeTempDirSync();
  const file = path.join(dir, "reference.yaml");
  Deno.writeTextFileSync(file, m[1]);
  const r = await cli("run", "--config", file, "--dry-run");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /would run report\{/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("lr_select first-seed: more seeds add points, not grids (their runs are on demand)", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const base = Deno.readTextFileSync(path.join(REPO, "pipeline.yaml"))
      .replace(/^ {2}seeds: .*$/m, "  seeds: [0]")
      .replace(/^ {2}lr_select: .*\n/m, "");
    const one = path.join(dir, "one.yaml");
    const three = path.join(dir, "three.yaml");
    Deno.writeTextFileSync(one, base);
    Deno.writeTextFileSync(
      three,
      base.replace(/^ {2}seeds: \[0\]$/m, "  seeds: [0, 1, 2]\n  lr_select: first-seed"),
    );
    const a = countKinds(one);
    const b = countKinds(three);
    const trainKinds = ["train-full", "train-subspace", "train-lora"];
    for (const k of trainKinds) {
      assert.equal(b[k], a[k], `${k}: the grid runs of the first seed only`);
    }
    assert.equal(b["lr-search"], 3 * a["lr-search"], "one point per seed");
    const candidates = (c: Record<string, number>) =>
      trainKinds.reduce((s, k) => s + (c[`${k}?`] ?? 0), 0);
    assert.ok(candidates(b) > candidates(a), "the later seeds' candidate lrs are on demand");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("search both: the adaptive search runs beside the grid, after it, adding no training run", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const base = Deno.readTextFileSync(path.join(REPO, "pipeline.yaml"))
      .replace(/^ {2}search: .*$/m, "  search: grid");
    const grid = path.join(dir, "grid.yaml");
    const both = path.join(dir, "both.yaml");
    Deno.writeTextFileSync(grid, base);
    Deno.writeTextFileSync(both, base.replace(/^ {2}search: grid$/m, "  search: both"));
    const a = countKinds(grid);
    const b = countKinds(both);
    for (const k of ["train-full", "train-subspace", "train-lora", "lr-search", "threshold"]) {
      assert.equal(b[k], a[k], k);
    }
    assert.equal(b["threshold-search"], a["threshold"], "one adaptive search per grid threshold");
    const dag = planOf(both);
    for (const s of dag.instances.filter((i) => i.kind === "threshold-search")) {
      assert.equal(s.inputs.after?.kind, "threshold", "the search waits for its grid");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
