/**
 * The gaps section of the report: grid points the planner dropped (they cannot exist for their
 * model) and instances that failed at run time (with their reason and log), from the provenance.
 *
 * @module
 */
import { droppedLine, missingLine, type Provenance } from "../results/mod.ts";

/** One line per dropped point, then one per failure; empty when the study is complete. */
export function gapLines(p: Provenance): string[] {
  return [...(p.droppedPoints ?? []).map(droppedLine), ...(p.failures ?? []).map(missingLine)];
}

/** The Markdown section (empty string when there are no gaps). */
export function gapsMarkdown(p: Provenance): string {
  const lines = gapLines(p);
  if (lines.length === 0) return "";
  return `## Missing and dropped points\n\n${lines.map((l) => `- ${l}`).join("\n")}\n`;
}
