/**
 * The lock file reads back exactly what `formatLock` wrote, through the fast line reader, and any
 * other layout (hand-edited, older) through the YAML parser with the same result.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  formatLock,
  type LockData,
  type LockEntry,
  readFormattedLock,
  readLock,
} from "../../lib/pipeline/lock_file.ts";

function sample(): LockData {
  return new Map<string, LockEntry>([
    ["train{lr=0.1}", {
      kind: "train",
      key: "1234e5" + "a".repeat(58),
      code: "c".repeat(64),
      params: {
        lr: 0.1,
        graphs: { kind: "export", params: { size: 8, note: 'a "quoted" \\ one' } },
      },
      inputs: { data: { id: "source{name=alpha}", key: "b".repeat(64) } },
      outputs: { "result.json": { digest: "d".repeat(64), size: 123 } },
      publish: "reports",
    }],
    ["source{name=alpha}", {
      kind: "source",
      key: "b".repeat(64),
      code: "e".repeat(64),
      params: {},
      inputs: {},
      outputs: {},
    }],
  ]);
}

Deno.test("lock file: what formatLock writes reads back identically, without the YAML parser", () => {
  const text = formatLock(sample());
  const fast = readFormattedLock(text);
  assert.ok(fast, "the written layout is recognised");
  assert.equal(formatLock(fast!), text);
  // A key that YAML would read as a number stays the string it is.
  assert.equal(fast!.get("train{lr=0.1}")!.key, "1234e5" + "a".repeat(58));
  assert.deepEqual(fast!.get("train{lr=0.1}")!.params, sample().get("train{lr=0.1}")!.params);
});

Deno.test("lock file: another layout falls back to the YAML parser and gives the same entries", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "pipeline.lock");
    const text = formatLock(sample()).replace("version: 1\n", "version: 1\n# edited by hand\n");
    assert.equal(readFormattedLock(text), null);
    Deno.writeTextFileSync(file, text);
    const read = readLock(file);
    assert.deepEqual([...read.keys()].sort(), ["source{name=alpha}", "train{lr=0.1}"]);
    assert.deepEqual(read.get("source{name=alpha}"), sample().get("source{name=alpha}"));
    assert.deepEqual(read.get("train{lr=0.1}")!.params, sample().get("train{lr=0.1}")!.params);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
