/**
 * A checkpoint that cannot be loaded (truncated, garbled) is set aside with a warning and the run
 * starts over, instead of every rerun failing with "Unexpected end of JSON input".
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { type LoopOptions, trainLoop } from "../../lib/train/train_loop.ts";
import { failureTest } from "../pipeline/failure_table.ts";
import { fakeEvaluate, fakeLoopOptions, FakeStepper, makeData } from "./fake_stepper.ts";

const train = makeData(200, 1);
const evaluate = fakeEvaluate(makeData(100, 2), makeData(100, 3));
const opts: LoopOptions = fakeLoopOptions(40);

for (
  const [kind, damage] of [
    ["truncated", (b: Uint8Array) => b.subarray(0, 40)],
    ["garbled", (b: Uint8Array) => b.map((x, i) => (i >= 12 && i < 30 ? 0x7b : x))],
  ] as const
) {
  failureTest(
    {
      class: "corruption",
      case: `${kind} \`scratch/checkpoint.bin\``,
      behaviour:
        "the checkpoint is renamed to `checkpoint.bin.corrupt-<time>` with a warning in the log and the run starts over (results equal a fresh run)",
    },
    `finding 3: a ${kind} checkpoint is set aside and training starts over`,
    async () => {
      const dir = Deno.makeTempDirSync();
      try {
        const file = path.join(dir, "checkpoint.bin");
        const ref = await trainLoop(new FakeStepper(train, 0.05), evaluate, opts);
        await assert.rejects(
          trainLoop(new FakeStepper(train, 0.05, 25), evaluate, { ...opts, checkpointFile: file }),
          /simulated crash/,
        );
        Deno.writeFileSync(file, damage(Deno.readFileSync(file)));
        const logs: string[] = [];
        const r = await trainLoop(new FakeStepper(train, 0.05), evaluate, {
          ...opts,
          checkpointFile: file,
          log: (m) => logs.push(m),
        });
        assert.deepEqual(r.resumedFrom, []);
        assert.deepEqual(r.evals, ref.evals);
        assert.ok(
          logs.some((l) => /cannot be loaded .*set aside as checkpoint\.bin\.corrupt-/.test(l)),
          logs.join("\n"),
        );
        assert.ok(
          [...Deno.readDirSync(dir)].some((e) => e.name.startsWith("checkpoint.bin.corrupt-")),
        );
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    },
  );
}
