/**
 * Tolerated inputs: a stage that declares `tolerates` runs although an input failed, sees it in
 * `ctx.failedInputs`, is committed as partial, and is redone (with its dependents) once the
 * failed input is retried and succeeds.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { makeProject, ranIds } from "./helpers.ts";

const CONFIG = `run:
  jobs: 1
  executor: inprocess
experiment:
  sources: []
  train: { lr: [0.1], seeds: [0] }
  extra:
    - kind: tolerant
      params: { data: alpha, seeds: [0, 1], failFile: FAIL }
`;

const TRAIN = (seed: number) =>
  `train{data=alpha,fail=false,failFile=FAIL,lr=0.1,seed=${seed},size=5,sleepMs=0,steps=3}`;

Deno.test("a tolerant stage runs without a failed input, lists it, and is redone when it succeeds", async () => {
  const p = makeProject("tolerate", CONFIG);
  try {
    Deno.writeTextFileSync(path.join(p.dir, "FAIL"), "");
    let r = await p.cli("run");
    assert.equal(r.code, 1, r.out + r.err);
    assert.ok(ranIds(r.out).has("tolerant{data=alpha}"), r.out);
    assert.match(r.out, /failed 2, skipped 0/);
    const key = () =>
      JSON.parse(Deno.readTextFileSync(path.join(p.store, "artifacts", readKey(p.store))));
    const m = key();
    assert.deepEqual(Object.keys(m.missingInputs), ["s0", "s1"]);
    // Its output (the "report") lists both failures, with their error and log.
    const text = () =>
      Deno.readTextFileSync(
        path.join(p.store, "objects", digestOf(key()).slice(0, 2), digestOf(key()).slice(2)),
      );
    assert.match(text(), /s0\tmissing: .*synthetic failure while FAIL exists \(log .*\.log\)/);

    // The dry run says why it is redone; the real run redoes it with both inputs present.
    Deno.removeSync(path.join(p.dir, "FAIL"));
    r = await p.cli("run", "--dry-run");
    assert.match(
      r.out,
      /would run tolerant\{data=alpha\}: partial: missing input s0 .* is retried/,
    );
    r = await p.cli("run");
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(ranIds(r.out), new Set([TRAIN(0), TRAIN(1), "tolerant{data=alpha}"]));
    assert.equal(key().missingInputs, undefined);
    assert.match(text(), /^s0\tw=.*\ns1\tw=/);
    r = await p.cli("run");
    assert.equal(ranIds(r.out).size, 0, "complete now: cached");
  } finally {
    p.remove();
  }
});

/** The manifest file name of the `tolerant` artifact. */
function readKey(store: string): string {
  for (const e of Deno.readDirSync(path.join(store, "artifacts"))) {
    const m = JSON.parse(Deno.readTextFileSync(path.join(store, "artifacts", e.name)));
    if (m.kind === "tolerant") return e.name;
  }
  throw new Error("no tolerant artifact");
}

function digestOf(m: { files: Record<string, { digest: string }> }): string {
  return m.files["tolerant.tsv"].digest;
}
