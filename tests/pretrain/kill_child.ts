/**
 * Child of the kill -9 test: runs the 20-step tiny chain run (checkpoint every 5 steps) into
 * `<root>/killed` and SIGKILLs itself once the step-15 checkpoint is on disk.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CHECKPOINT_FILE } from "../../lib/pretrain/run.ts";
import { readCheckpoint } from "../../lib/train/checkpoint.ts";
import { runTiny, tinyRaw } from "./helpers.ts";

const [root, tokenizer] = Deno.args;
const scratch = join(root, "killed-scratch");
await runTiny(
  root,
  "killed",
  tinyRaw({ steps: 20, schedule_steps: 20, checkpoint_every: 5 }),
  tokenizer,
  {
    onProgress: () => {
      if (
        existsSync(join(scratch, CHECKPOINT_FILE)) &&
        readCheckpoint<{ step: number }>(join(scratch, CHECKPOINT_FILE))?.meta.step === 15
      ) {
        Deno.kill(Deno.pid, "SIGKILL");
      }
    },
  },
);
