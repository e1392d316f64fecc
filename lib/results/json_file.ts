/**
 * The project's one way to write and read JSON artifacts: written to a temp name beside the
 * target and renamed (a reader never sees a half-written file), read back with errors that
 * name the file, validated against a zod schema with errors that name the key.
 *
 * @module
 */
import type { z } from "zod";

/** Writes `value` as JSON (one-space indent, trailing newline) atomically: temp file + rename. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, JSON.stringify(value, null, 1) + "\n");
  Deno.renameSync(tmp, file);
}

/** Reads and parses a JSON file; errors name the file and say whether reading or parsing failed. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    throw new Error(`${file} cannot be read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Formats a zod error as `file: path.to[3].key: message` lines (at most ten). */
export function describeIssues(file: string, error: z.ZodError): string {
  const lines = error.issues.slice(0, 10).map((issue) => {
    let at = "";
    for (const part of issue.path) {
      at += typeof part === "number" ? `[${part}]` : at === "" ? String(part) : `.${String(part)}`;
    }
    return `${file}: ${at === "" ? "(top level)" : at}: ${issue.message}`;
  });
  if (error.issues.length > 10) lines.push(`… and ${error.issues.length - 10} more problems`);
  return lines.join("\n");
}

/**
 * Validates `value` against `schema` and returns it as given (the record schemas have no
 * defaults or transforms, so this keeps the producer's key order byte for byte); a failure names
 * `file` and every wrong key.
 */
export function parseRecord<S extends z.ZodType>(
  file: string,
  schema: S,
  value: unknown,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(`${file} is malformed:\n${describeIssues(file, result.error)}`);
  }
  return value as z.infer<S>;
}

/** Reads `file` and validates it against `schema`. */
export function readJsonRecord<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  return parseRecord(file, schema, readJsonFile(file));
}
