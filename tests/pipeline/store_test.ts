/**
 * The store: failures are isolated, corrupt artifacts are detected and recomputed, identical
 * files are stored once (a hardlinked input is not copied or re-hashed), outputs are
 * published, gc keeps what the plan uses.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { StateCache } from "../../lib/pipeline/state.ts";
import { Store } from "../../lib/pipeline/store.ts";
import { basicConfig, lockKey, makeProject, ranIds, verifyStore } from "./helpers.ts";
import { failureTest } from "./failure_table.ts";

const T = (data: string, lr: number, seed = 0, fail = false) =>
  `train{data=${data},fail=${fail},lr=${lr},seed=${seed},size=5,sleepMs=0,steps=3}`;

failureTest(
  {
    class: "kill point",
    case: "a stage throws",
    behaviour:
      "independent branches finish; the summary lists the failure with its log tail; exit 1; only completed instances are locked",
  },
  "a failed run does not stop independent branches; the summary lists it; exit 1",
  async () => {
    const p = makeProject(
      "fail",
      basicConfig({ sources: ["alpha", "beta"], lr: [0.1], seeds: [0, 1], fail: [1] }),
    );
    try {
      let r = await p.cli("run");
      assert.equal(r.code, 1);
      assert.deepEqual(
        ranIds(r.out),
        new Set([
          "source{name=alpha,size=5}",
          "source{name=beta,size=5}",
          T("alpha", 0.1),
          T("beta", 0.1),
        ]),
      );
      assert.match(r.out, /failed 2, skipped 2/);
      assert.match(
        r.out,
        new RegExp(
          `failures:\n  ${
            esc(T("alpha", 0.1, 1, true))
          }: synthetic failure for seed 1\n    log: \\.idim/store/logs/[0-9a-f]{64}\\.log\n`,
        ),
      );
      assert.match(r.out, /\| .*FAILED: Error: synthetic failure for seed 1/);
      assert.match(
        r.out,
        /skipped \(an input failed\): summary\{data=alpha\}, summary\{data=beta\}/,
      );
      const lock = parse(Deno.readTextFileSync(p.lockFile)).instances;
      assert.equal(Object.keys(lock).length, 4, "only completed instances are locked");
      p.writeConfig(basicConfig({ sources: ["alpha", "beta"], lr: [0.1], seeds: [0, 1] }));
      r = await p.cli("run");
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(
        ranIds(r.out),
        new Set([
          T("alpha", 0.1, 1),
          T("beta", 0.1, 1),
          "summary{data=alpha}",
          "summary{data=beta}",
        ]),
      );
    } finally {
      p.remove();
    }
  },
);

failureTest(
  {
    class: "corruption",
    case: "a stored blob's content (and size or mtime) changed",
    behaviour: "the next run finds it (rehash), warns, drops it and recomputes only that artifact",
  },
  "a corrupted stored artifact is detected on the next run and recomputed",
  async () => {
    const p = makeProject("corrupt", basicConfig({ lr: [0.1, 0.2] }));
    try {
      assert.equal((await p.cli("run")).code, 0);
      const key = lockKey(p, T("alpha", 0.1));
      const store = new Store(p.store);
      const m = store.readManifest(key)!;
      const blob = store.blobPath(m.files["model.txt"].digest);
      const good = Deno.readTextFileSync(blob);
      Deno.chmodSync(blob, 0o644);
      Deno.writeTextFileSync(blob, good.replace(/\d/, (d) => String((Number(d) + 1) % 10)));
      let r = await p.cli("run", "--dry-run");
      assert.match(r.out, new RegExp(`would run ${esc(T("alpha", 0.1))}: output corrupt`));
      assert.ok(existsSync(blob), "a dry run deletes nothing");
      r = await p.cli("run");
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(
        r.err,
        new RegExp(
          `corrupt artifact of ${esc(T("alpha", 0.1))}: model\\.txt: stored blob .* is corrupt`,
        ),
      );
      assert.deepEqual(ranIds(r.out), new Set([T("alpha", 0.1)]), "downstream keys are unchanged");
      assert.equal(Deno.readTextFileSync(blob), good);
      verifyStore(p.store);
      // A corrupt blob shared by three artifacts (the data file is hardlinked downstream).
      const shared = store.blobPath(m.files["data.txt"].digest);
      Deno.chmodSync(shared, 0o644);
      Deno.writeTextFileSync(shared, "garbage\n");
      r = await p.cli("run");
      assert.equal(r.code, 0, r.out + r.err);
      assert.deepEqual(
        ranIds(r.out),
        new Set(["source{name=alpha,size=5}", T("alpha", 0.1), T("alpha", 0.2)]),
      );
      verifyStore(p.store);
      assert.match(Deno.readTextFileSync(path.join(p.dir, "data/alpha/data.txt")), /^alpha 0\n/);
    } finally {
      p.remove();
    }
  },
);

Deno.test("identical files are stored once and a hardlinked input is neither copied nor re-hashed", async () => {
  const p = makeProject("dedupe", basicConfig({ lr: [0.1, 0.2] }));
  try {
    assert.equal((await p.cli("run")).code, 0);
    const store = new Store(p.store);
    const src = store.readManifest(lockKey(p, "source{name=alpha,size=5}"))!;
    const tr = store.readManifest(lockKey(p, T("alpha", 0.1)))!;
    assert.equal(tr.files["data.txt"].digest, src.files["data.txt"].digest);
    const blob = store.blobPath(src.files["data.txt"].digest);
    const st = Deno.statSync(blob);
    const published = Deno.statSync(path.join(p.dir, "data/alpha/data.txt"));
    assert.equal(published.ino, st.ino, "published by hardlink, not copied");
    assert.equal(st.mode! & 0o222, 0, "blobs are read-only");
    const { artifacts, blobs } = verifyStore(p.store);
    assert.equal(artifacts, 4);
    assert.equal(blobs, 5, "data.txt, info.json, two models, summary");
    const state = new StateCache(store.stateFile).load();
    for (const key of store.listArtifacts()) {
      const v = store.verify(key, state);
      assert.ok(v.ok);
      assert.equal(v.rehashed, 0, "the state cache answers without re-reading");
    }
    assert.match(
      Deno.readTextFileSync(path.join(p.dir, "reports/summary.tsv")),
      /lr0\.1_s0\tw=0\.3/,
    );
  } finally {
    p.remove();
  }
});

Deno.test("gc removes artifacts no planned or locked instance uses, and nothing else", async () => {
  const p = makeProject("gc", basicConfig({ lr: [0.1, 0.2] }));
  try {
    assert.equal((await p.cli("run")).code, 0);
    const oldKey = lockKey(p, T("alpha", 0.2));
    p.writeConfig(basicConfig({ lr: [0.1, 0.3] }));
    assert.equal((await p.cli("run")).code, 0);
    const store = new Store(p.store);
    assert.ok(store.hasArtifact(oldKey));
    let r = await p.cli("gc", "--dry-run");
    assert.match(r.out, /would remove 2 artifacts, 2 blobs/);
    assert.ok(store.hasArtifact(oldKey));
    r = await p.cli("gc");
    assert.match(r.out, /removed 2 artifacts, 2 blobs/);
    assert.equal(store.hasArtifact(oldKey), false);
    assert.equal(verifyStore(p.store).artifacts, 4);
    r = await p.cli("run");
    assert.equal(r.code, 0);
    assert.deepEqual(ranIds(r.out), new Set(), "everything planned is still cached");
  } finally {
    p.remove();
  }
});

Deno.test("status, dag and show describe the plan", async () => {
  const p = makeProject("views", basicConfig({ lr: [0.1] }));
  try {
    let r = await p.cli("status");
    assert.match(r.out, /run {3}summary\{data=alpha\}: new/);
    assert.match(r.out, /0 up to date, 3 to run/);
    assert.equal(existsSync(p.store), false, "status writes nothing");
    assert.equal((await p.cli("run")).code, 0);
    r = await p.cli("status");
    assert.match(r.out, /3 up to date, 0 to run/);
    r = await p.cli("dag");
    assert.equal(
      r.out,
      `summary{data=alpha}\n└─ lr0.1_s0: ${
        T("alpha", 0.1)
      }\n   └─ data: source{name=alpha,size=5}\n`,
    );
    r = await p.cli("dag", "--format", "mermaid");
    assert.match(r.out, /^flowchart LR\n/);
    assert.match(r.out, /n0 -->\|data\| n1/);
    r = await p.cli("dag", "--format=dot");
    assert.match(r.out, /^digraph pipeline \{/);
    assert.match(r.out, /n1 -> n2 \[label="lr0\.1_s0"\];/);
    r = await p.cli("show", "train");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /key: {5}[0-9a-f]{64}/);
    assert.match(r.out, /model\.txt {2}6 bytes/);
    assert.match(r.out, /\| .*committed in/);
    r = await p.cli("show", "*");
    assert.notEqual(r.code, 0);
    assert.match(r.err, /matches 3 instances/);
  } finally {
    p.remove();
  }
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
