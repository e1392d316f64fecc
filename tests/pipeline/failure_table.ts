/**
 * The failure classes the tests try, as rows of the README's failure table. A test that checks
 * a failure declares itself with `failureTest(row, name, fn)`: it is an ordinary `Deno.test` and
 * its row (class, case, what the tool does) is registered here. `scripts/failure_table.ts`
 * imports the test modules listed in `FAILURE_TEST_MODULES` (under `deno run`, `Deno.test` does
 * nothing) and writes or checks the README section between the failure-table markers.
 *
 * @module
 */
import * as path from "node:path";

/** One row of the failure table. */
export interface FailureRow {
  /** `kill point`, `corruption`, `bad config`, `bad environment`, `misuse`. */
  class: string;
  /** What was done to the tool. */
  case: string;
  /** What the tool does about it (what the test asserts). */
  behaviour: string;
}

/** A registered row with the test that checks it. */
export interface RegisteredRow extends FailureRow {
  test: string;
  file: string;
}

const rows: RegisteredRow[] = [];

/** The test modules whose failure tests make up the table (relative to the repository). */
export const FAILURE_TEST_MODULES: readonly string[] = [
  "tests/pipeline/crash_test.ts",
  "tests/pipeline/store_test.ts",
  "tests/pipeline/config_errors_test.ts",
  "tests/pipeline/careful_user_test.ts",
  "tests/train/checkpoint_load_test.ts",
];

/** Declares a test that checks one failure class; its row goes into the README table. */
export function failureTest(
  row: FailureRow,
  name: string,
  fn: () => Promise<void> | void,
  options: { ignore?: boolean } = {},
): void {
  const file = callerFile();
  rows.push({ ...row, test: name, file });
  Deno.test({ name, fn, ignore: options.ignore ?? false });
}

/** Every row registered so far, in registration order. */
export function failureRows(): readonly RegisteredRow[] {
  return rows;
}

function callerFile(): string {
  const stack = new Error().stack ?? "";
  const frames = stack.split("\n").map((l) => /(file:\/\/[^):]+)/.exec(l)?.[1]).filter(
    (f): f is string => f !== undefined && !f.endsWith("/failure_table.ts"),
  );
  const url = frames[0];
  if (!url) return "?";
  const rel = path.relative(
    path.resolve(new URL("../..", import.meta.url).pathname),
    new URL(url).pathname,
  );
  return rel;
}

const START = "<!-- failure-table:start -->";
const END = "<!-- failure-table:end -->";

/** The markdown table of the rows. */
export function renderFailureTable(list: readonly RegisteredRow[]): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [
    "| class | case | what the tool does | test |",
    "| ----- | ---- | ------------------ | ---- |",
    ...list.map((r) =>
      `| ${cell(r.class)} | ${cell(r.case)} | ${cell(r.behaviour)} | \`${
        path.basename(r.file)
      }\`: ${cell(r.test)} |`
    ),
  ];
  return lines.join("\n");
}

/** `readme` with the section between the markers replaced by `table`; throws without markers. */
export function withFailureTable(readme: string, table: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) {
    throw new Error(`README.md: expected the markers ${START} and ${END} around the failure table`);
  }
  return `${readme.slice(0, a + START.length)}\n\n${table}\n\n${readme.slice(b)}`;
}
