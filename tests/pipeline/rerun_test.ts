/**
 * Exactly the affected instances recompute: a changed parameter, an edited stage module, an
 * edited lib module; selectors, --force and --downstream pick what they say.
 */
import assert from "node:assert/strict";
import { basicConfig, makeProject, ranIds } from "./helpers.ts";

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
    assert.match(r.out, new RegExp(`would run ${escape(SUM)}: input changed`));
    r = await p.cli("run");
    assert.deepEqual(ranIds(r.out), new Set([T(0.1), T(0.2), SUM]));
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
    assert.deepEqual(ranIds(r.out), new Set([T(0.1), T(0.2), SUM]));
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
