/**
 * Canonical JSON (sorted keys, no whitespace) and sha256 helpers: the basis of instance keys and
 * of every other identity hashed from parameters (training runs' checkpoint ids).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Serialises a JSON value with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError(`cannot hash the non-finite number ${value}`);
    }
    if (value === undefined) return "null";
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** Hex sha256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Converts a parsed value to plain JSON (drops undefined, rejects functions and cycles). */
export function toJson(value: unknown): Json {
  return JSON.parse(canonicalJson(value)) as Json;
}
