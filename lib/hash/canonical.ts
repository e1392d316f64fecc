/**
 * Canonical JSON (sorted keys, no whitespace) and sha256 helpers: the basis of instance keys and
 * of every other identity hashed from parameters (training runs' checkpoint ids).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Serialises a JSON value with object keys sorted, so equal values give equal text: no
 * whitespace, `undefined` object members dropped, `undefined` (or a function) as a value `null`,
 * a non-finite number an error. `JSON.stringify` does the writing, with a replacer that hands it
 * each object's members in sorted order (several times faster than building the text in script,
 * which matters: a plan's keys serialise every nested reference).
 */
export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(value, sortedMembers) ?? "null";
  } catch (e) {
    if (e === INDEX_KEYS) return canonicalJsonSlow(value);
    throw e;
  }
}

/**
 * Thrown by the replacer for an object with an array-index key ("0", "10"): JavaScript objects
 * always list such keys first in numeric order, so only the slow path can sort them as strings.
 */
const INDEX_KEYS = new Error("array-index keys");

function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 48 && c <= 57 && /^(0|[1-9][0-9]*)$/.test(k);
}

function sortedMembers(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new TypeError(`cannot hash the non-finite number ${value}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.some(isIndexKey)) throw INDEX_KEYS;
  const sorted: Record<string, unknown> = {};
  for (const k of keys.sort()) sorted[k] = obj[k];
  return sorted;
}

/** The same text built in script: for objects with array-index keys. */
function canonicalJsonSlow(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError(`cannot hash the non-finite number ${value}`);
    }
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJsonSlow).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJsonSlow(obj[k])}`).join(",")}}`;
}

/** Hex sha256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Converts a parsed value to plain JSON (drops undefined, rejects functions and cycles). */
export function toJson(value: unknown): Json {
  return JSON.parse(canonicalJson(value)) as Json;
}
