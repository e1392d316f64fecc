/**
 * The README's failure table is what the failure tests register (`deno task failure-table`
 * regenerates it).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { REPO } from "./helpers.ts";

Deno.test("the README failure table matches the failure tests", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "-q", path.join(REPO, "scripts/failure_table.ts"), "--check"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(r.code, 0, dec.decode(r.stdout) + dec.decode(r.stderr));
});
