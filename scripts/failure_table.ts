/**
 * `deno task failure-table [--check]`: regenerates the README's failure table (between
 * `<!-- failure-table:start -->` and `<!-- failure-table:end -->`) from the rows the failure
 * tests register; with `--check`, exits 1 when the README is out of date instead of writing.
 *
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  FAILURE_TEST_MODULES,
  failureRows,
  renderFailureTable,
  withFailureTable,
} from "../tests/pipeline/failure_table.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Imports the failure test modules and returns the README text with a fresh table. */
export async function regenerated(readme: string): Promise<string> {
  for (const rel of FAILURE_TEST_MODULES) await import(path.join(REPO, rel));
  return await formatMarkdown(withFailureTable(readme, renderFailureTable(failureRows())));
}

/** The text as `deno fmt` (with the repository's settings) would write it. */
async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: REPO,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`deno fmt of README.md failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

if (import.meta.main) {
  const file = path.join(REPO, "README.md");
  const readme = Deno.readTextFileSync(file);
  const next = await regenerated(readme);
  if (Deno.args.includes("--check")) {
    if (next !== readme) {
      console.error(
        "README.md: the failure table is out of date; run `deno task failure-table`",
      );
      Deno.exit(1);
    }
    console.log(`README.md: failure table up to date (${failureRows().length} rows)`);
  } else {
    Deno.writeTextFileSync(file, next);
    console.log(`README.md: wrote the failure table (${failureRows().length} rows)`);
  }
}
