/**
 * Shared helpers of the report tests: the fixture's location, loading it, and a temp dir.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readResults, type ReportData } from "../../lib/report/load_results.ts";

/** `tests/report/fixtures/results`: the hand-made results directory (collect-results layout). */
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "results");

/** The repository root. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Loads the fixture (validated). */
export function loadFixture(): ReportData {
  return readResults(FIXTURE_DIR);
}

/** A fresh temp directory. */
export function tempDir(prefix = "idim-report-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A deep copy of the fixture's raw JSON, for tests that break it. */
export function rawFixture(): {
  results: { policy?: string; points: unknown[]; thresholds: unknown[] };
  provenance: unknown;
} {
  const read = (f: string) => JSON.parse(Deno.readTextFileSync(join(FIXTURE_DIR, f)));
  return { results: read("results.json"), provenance: read("provenance.json") };
}
