/**
 * File digests the Hub publishes: sha256 (LFS files) and git blob ids (small files).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** sha256 and git blob id (sha1 of `blob <size>\0<bytes>`) of a file, lowercase hex. */
export interface FileDigests {
  size: number;
  sha256: string;
  gitOid: string;
}

/** Streams a file once and returns its digests. */
export async function fileDigests(path: string): Promise<FileDigests> {
  const size = (await Deno.stat(path)).size;
  const sha256 = createHash("sha256");
  const sha1 = createHash("sha1");
  sha1.update(`blob ${size}\0`);
  const file = await Deno.open(path, { read: true });
  try {
    for await (const chunk of file.readable) {
      sha256.update(chunk);
      sha1.update(chunk);
    }
  } catch (e) {
    throw new Error(`cannot read ${path} to hash it: ${(e as Error).message}`);
  }
  return { size, sha256: sha256.digest("hex"), gitOid: sha1.digest("hex") };
}

/**
 * Reads a Hub ETag: a quoted 64-hex string is an LFS sha256, a 40-hex string a git blob id
 * (weak `W/` prefixes and quotes are ignored). Anything else tells nothing.
 */
export function parseEtag(etag: string | undefined): { sha256?: string; gitOid?: string } {
  const v = (etag ?? "").trim().replace(/^W\//, "").replace(/^"|"$/g, "").toLowerCase();
  if (/^[0-9a-f]{64}$/.test(v)) return { sha256: v };
  if (/^[0-9a-f]{40}$/.test(v)) return { gitOid: v };
  return {};
}
