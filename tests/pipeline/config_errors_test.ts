/**
 * Bad input (malformed YAML, unknown key, wrong type, unknown stage, bad selector) gets an error
 * naming file, line and key, a non-zero exit code, and nothing is written.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { basicConfig, makeProject, type TestProject } from "./helpers.ts";
import { failureTest } from "./failure_table.ts";

function assertNothingWritten(p: TestProject): void {
  assert.equal(existsSync(p.store), false, "no store was created");
  assert.equal(existsSync(p.lockFile), false, "no lock file was written");
  assert.equal(existsSync(`${p.dir}/data`), false, "nothing was published");
}

async function expectError(yaml: string, expected: RegExp, ...args: string[]): Promise<void> {
  const p = makeProject("cfg", yaml);
  try {
    const r = await p.cli(...(args.length ? args : ["run"]));
    assert.notEqual(r.code, 0, "exit code is non-zero");
    assert.match(r.err, expected);
    assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
    assertNothingWritten(p);
  } finally {
    p.remove();
  }
}

failureTest(
  {
    class: "bad config",
    case: "malformed YAML",
    behaviour: "one line naming file:line:col; exit 2",
  },
  "malformed YAML names file, line and column",
  async () => {
    await expectError(
      "run:\n  jobs: 1\nexperiment:\n  sources: [ {name: a, size: 1}\n  train: {lr: [1], seeds: [0]}\n",
      /^error: pipeline\.yaml:\d+:\d+: malformed YAML: /m,
    );
  },
);

failureTest(
  {
    class: "bad config",
    case: "an unknown key",
    behaviour: "names its line and lists the expected keys; exit 2",
  },
  "an unknown key names its line and lists the expected keys",
  async () => {
    const yaml = basicConfig().replace("    seeds:", "    lrr: [1]\n    seeds:");
    const line = yaml.split("\n").findIndex((l) => l.includes("lrr")) + 1;
    await expectError(
      yaml,
      new RegExp(
        `pipeline\\.yaml:${line}:5: experiment\\.train\\.lrr: unknown key "lrr" \\(expected one of: lr, seeds,`,
      ),
    );
  },
);

Deno.test("an unknown top-level section is an error", async () => {
  await expectError(basicConfig() + "runn: {}\n", /pipeline\.yaml:\d+:1: runn: unknown key "runn"/);
});

failureTest(
  {
    class: "bad config",
    case: "a value of the wrong type",
    behaviour: "names the element's line and column and the value; exit 2",
  },
  "a wrong type names the list element's line and column and the value",
  async () => {
    const yaml = basicConfig({ seeds: [0] }).replace("seeds: [0]", 'seeds: [0, "abc"]');
    const lines = yaml.split("\n");
    const line = lines.findIndex((l) => l.includes('"abc"')) + 1;
    const col = lines[line - 1].indexOf('"abc"') + 1;
    await expectError(
      yaml,
      new RegExp(
        `pipeline\\.yaml:${line}:${col}: experiment\\.train\\.seeds\\[1\\]: expected number, got "abc"`,
      ),
    );
  },
);

Deno.test("a wrong type in the run section is located too", async () => {
  await expectError(
    basicConfig().replace("jobs: 2", "jobs: two"),
    /pipeline\.yaml:2:9: run\.jobs: expected number, got "two"/,
  );
});

Deno.test("an unknown stage kind names the config entry and the known kinds", async () => {
  const yaml = basicConfig() + "  extra:\n    - { kind: nope, params: {} }\n";
  const line = yaml.split("\n").findIndex((l) => l.includes("nope")) + 1;
  await expectError(
    yaml,
    new RegExp(
      `pipeline\\.yaml:${line}:7: experiment\\.extra\\[0\\]: unknown stage kind "nope" \\(known kinds: source, summary, tolerant, train\\)`,
    ),
  );
});

failureTest(
  {
    class: "bad config",
    case: "invalid stage params",
    behaviour: "names the instance, the config entry and the param; exit 2",
  },
  "invalid stage params name the instance, the config entry and the param",
  async () => {
    const yaml = basicConfig() +
      "  extra:\n    - { kind: source, params: { name: x, size: -3 } }\n";
    await expectError(
      yaml,
      /pipeline\.yaml:\d+:7: experiment\.extra\[0\]: instance source\{name=x,size=-3\}: params\.size: expected number to be >0, got -3/,
    );
  },
);

failureTest(
  {
    class: "misuse",
    case: "an unknown selector (kind, param, no match)",
    behaviour: "one line naming the selector and what is known; exit 2",
  },
  "unknown selectors are rejected clearly",
  async () => {
    const yaml = basicConfig();
    await expectError(
      yaml,
      /selector "nope": unknown stage kind "nope" \(known kinds: source, summary, tolerant, train\)/,
      "run",
      "nope",
    );
    await expectError(
      yaml,
      /selector "train\{lrx=1\}": no "train" instance has a param "lrx"/,
      "run",
      "train{lrx=1}",
    );
    await expectError(
      yaml,
      /selector "train\{lr=9\}": matches no planned instance/,
      "run",
      "train{lr=9}",
    );
    await expectError(yaml, /unknown option --frobnicate for "run"/, "run", "--frobnicate");
  },
);

Deno.test("as a subprocess: a config error exits non-zero with one clear line", async () => {
  const p = makeProject("cfgsub", basicConfig().replace("size: 5", "size: five"));
  try {
    const r = await p.sub("run");
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /^error: pipeline\.yaml:6:\d+: experiment\.sources\[0\]\.size: expected number, got "five"\n$/,
    );
    assert.equal(r.out, "");
    assertNothingWritten(p);
  } finally {
    p.remove();
  }
});
