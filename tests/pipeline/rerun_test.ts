/**
 * Exactly the affected instances recompute: a changed parameter, an edited stage module, an
 * edited lib module; selectors, --force and --downstream pick what they say.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { basicConfig, makeProject, ranIds, reusedIds } from "./helpers.ts";

const SRC = "source{name=alpha,size=5}";
const T = (lr: number) => `train{data=alpha,fail=false,lr=${lr},seed=0,size=5,sleepMs=0,steps=3}`;
const SUM = "summary{data=alpha}";

Deno.test("changing one parameter value reruns exactly that instance and its downstream", async () => {
  const p = makeProject("param", basicConfig({ lr: [0.1, 0.2] }));
  try {
    let r = await p.cli("run");
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(ranIds(r.out), new Set([SRC, T(0.1), T(0.2), SUM]));
    p.writeConfig(basicConfig({ lr: [0.1, 0.3] }));
    r = await p.cli("run", "--dry-run");
    assert.equal(r.code, 0);
    assert.match(
      r.out,
      new RegExp(`would run ${escape(T(0.3))}: params changed \\(lr: 0\\.2 → 0\\.3\\)`),
    );
    assert.match(
      r.out,
      new RegExp(`would run ${escape(SUM)}: params changed \\(lrs: .*\\); input changed`),
    );
    assert.match(r.out, /2 would run, 2 cached/);
    r = await p.cli("run");
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(ranIds(r.out), new Set([T(0.3), SUM]));
    const lock = Deno.readTextFileSync(p.lockFile);
    assert.ok(!lock.includes(T(0.2)), "the replaced instance left the lock file");
    r = await p.cli("run");
    assert.deepEqual(ranIds(r.out), new Set(), "a second run is a no-op");
    assert.match(r.out, /all 4 instances up to date/);
  } finally {
    p.remove();
  }
});

Deno.test("editing a stage module reruns only its instances and their downstream", async () => {
  const p = makeProject("stageedit", basicConfig({ lr: [0.1, 0.2] }));
  try {
    assert.equal((await p.cli("run")).code, 0);
    p.edit("stages/summary.ts", "\n// tweak\n");
    let r = await p.cli("run", "--dry-run");
    assert.match(r.out, new RegExp(`would run ${escape(SUM)}: code changed\n`));
    r = await p.cli("run");
    assert.deepEqual(ranIds(r.out), new Set([SUM]));
    p.edit("stages/train.ts", "\nexport const unused = 1;\n");
    r = await p.cli("run", "--dry-run");
    assert.match(r.out, new RegExp(`would run ${escape(T(0.1))}: code changed\n`));
    assert.match(
      r.out,
      new RegExp(`would run ${escape(SUM)}: input changed .*; reused instead if its inputs`),
    );
    r = await p.cli("run");
    // The runs recompute the same models, so the summary reuses its artifact (early cut-off).
    assert.deepEqual(ranIds(r.out), new Set([T(0.1), T(0.2)]));
    assert.deepEqual(reusedIds(r.out), new Set([SUM]));
  } finally {
    p.remove();
  }
});

Deno.test("editing a lib module reruns only the stages that use it (and downstream), barrel or not", async () => {
  // Both stages import from the barrel lib/mod.ts; summary uses `line` (lib/fmt.ts) and train
  // uses `step` (lib/mathx.ts).
  const p = makeProject("libedit", basicConfig({ lr: [0.1, 0.2] }));
  try {
    assert.equal((await p.cli("run")).code, 0);
    p.edit("lib/fmt.ts", "\n// only summary uses this\n");
    let r = await p.cli("run");
    assert.deepEqual(ranIds(r.out), new Set([SUM]));
    p.edit("lib/mathx.ts", "\n// train uses this\n");
    r = await p.cli("run");
    assert.deepEqual(ranIds(r.out), new Set([T(0.1), T(0.2)]));
    assert.deepEqual(reusedIds(r.out), new Set([SUM]), "same models: the summary is reused");
    r = await p.cli("run");
    assert.deepEqual(ranIds(r.out), new Set());
    p.edit("lib/extra.ts", "export const unused = 2;\n");
    p.edit("lib/mod.ts", 'export { unused } from "./extra.ts";\n');
    r = await p.cli("run");
    assert.deepEqual(ranIds(r.out), new Set(), "a new export in the barrel that no stage uses");
  } finally {
    p.remove();
  }
});

Deno.test("early cut-off: a rerun whose outputs change reruns its readers; one whose outputs do not, does not", async () => {
  const p = makeProject("cutoff", basicConfig({ lr: [0.1, 0.2] }));
  try {
    assert.equal((await p.cli("run")).code, 0);
    // source's code changes but it writes the same data: every run and the summary are reused.
    p.edit("stages/source.ts", "\n// a comment changes the key, not the data\n");
    let r = await p.cli("run");
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(ranIds(r.out), new Set([SRC]));
    assert.deepEqual(reusedIds(r.out), new Set([T(0.1), T(0.2), SUM]));
    assert.match(r.out, /ran 1, reused 3, cached 0, failed 0/);
    r = await p.cli("run");
    assert.match(r.out, /all 4 instances up to date/, "the reused artifacts are committed");
    // Now the training arithmetic changes: new models, so the summary recomputes.
    const mathx = path.join(p.dir, "lib/mathx.ts");
    Deno.writeTextFileSync(
      mathx,
      Deno.readTextFileSync(mathx).replace("lr * (seed + 1)", "lr * (seed + 2)"),
    );
    r = await p.cli("run");
    assert.deepEqual(ranIds(r.out), new Set([T(0.1), T(0.2), SUM]));
    assert.deepEqual(reusedIds(r.out), new Set());
  } finally {
    p.remove();
  }
});

Deno.test("early cut-off keeps provenance: show names the reused computation, gc keeps it", async () => {
  const p = makeProject("cutoffgc", basicConfig({ lr: [0.1] }));
  try {
    assert.equal((await p.cli("run")).code, 0);
    const before = await p.cli("show", T(0.1));
    const oldKey = before.out.match(/key:\s+([0-9a-f]{64})/)![1];
    p.edit("stages/source.ts", "\n// new key, same data\n");
    assert.equal((await p.cli("run")).code, 0);
    const shown = await p.cli("show", T(0.1));
    assert.match(shown.out, new RegExp(`reusing ${oldKey} \\(its inputs held the same bytes`));
    const newKey = shown.out.match(/key:\s+([0-9a-f]{64})/)![1];
    // Keys select too: the live one (as show and logs print it, 12 digits), and the reused one
    // (written inside the files, e.g. runs.csv) names the instance that reuses it.
    const byKey = await p.cli("show", newKey.slice(0, 12));
    assert.equal(byKey.code, 0, byKey.err);
    assert.match(byKey.out, new RegExp(`^${escape(T(0.1))}$`, "m"));
    const byOld = await p.cli("show", oldKey);
    assert.equal(byOld.code, 0, byOld.err);
    assert.match(
      byOld.out,
      new RegExp(`^${oldKey}: an earlier computation whose artifact is reused`),
    );
    assert.match(byOld.out, new RegExp(`^${escape(T(0.1))}$`, "m"));
    assert.equal((await p.cli("gc")).code, 0);
    assert.ok(
      Deno.statSync(path.join(p.store, "artifacts", `${oldKey}.json`)).isFile,
      "gc keeps the computation a live artifact reuses (its key is inside the files)",
    );
    assert.ok(Deno.statSync(path.join(p.store, "logs", `${oldKey}.log`)).isFile);
    const v = await p.cli("verify");
    assert.equal(v.code, 0, v.out + v.err);
    const again = await p.cli("run");
    assert.match(again.out, /all 3 instances up to date/);
  } finally {
    p.remove();
  }
});

Deno.test("selectors, --force and --downstream select what they name", async () => {
  const p = makeProject("select", basicConfig({ lr: [0.1, 0.2] }));
  try {
    let r = await p.cli("run", "train{lr=0.1}");
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(ranIds(r.out), new Set([SRC, T(0.1)]), "a pattern runs its upstream too");
    r = await p.cli("run", "source", "--force");
    assert.deepEqual(ranIds(r.out), new Set([SRC]), "--force reruns only the selection");
    r = await p.cli("run", "--dry-run", "train{lr=0.1}", "--downstream", "--force");
    assert.match(r.out, new RegExp(`would run ${escape(T(0.1))}: forced`));
    r = await p.cli("run", "train{lr=0.1}", "--downstream", "--force");
    assert.deepEqual(ranIds(r.out), new Set([T(0.1), T(0.2), SUM]), "downstream needs T(0.2) too");
    r = await p.cli("run", "train{lr=0.1}", "--downstream", "--force");
    assert.deepEqual(ranIds(r.out), new Set([T(0.1), SUM]));
  } finally {
    p.remove();
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
