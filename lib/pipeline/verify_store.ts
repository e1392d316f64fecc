/**
 * `pipeline verify`: rehashes the stored files of artifacts, ignoring the state cache (which
 * trusts size and mtime, so a byte changed with `touch -r` passes it), and reports each corrupt
 * or missing file with its expected and actual digest. With repair, a corrupt artifact is dropped
 * (its manifest and view; the bad blob is deleted) so the next run recomputes it.
 *
 * @module
 */
import { hashFile } from "./fsutil.ts";
import type { StateCache } from "./state.ts";
import type { Store } from "./store.ts";

/** One bad file of an artifact. */
export interface BadFile {
  /** Path of the file inside the artifact. */
  file: string;
  blob: string;
  expected: string;
  /** The digest found, or why there is none (`missing`). */
  actual: string;
}

/** The verdict on one artifact. */
export interface ArtifactCheck {
  key: string;
  /** `missing`: never committed (nothing to verify). */
  status: "ok" | "corrupt" | "missing";
  bad: BadFile[];
  /** A manifest that cannot be read. */
  detail?: string;
}

/** Rehashes every file of the artifact of `key`. */
export function checkArtifact(store: Store, key: string): ArtifactCheck {
  const manifest = store.readManifest(key);
  if (!manifest) {
    return store.hasArtifact(key)
      ? {
        key,
        status: "corrupt",
        bad: [],
        detail: `unreadable manifest ${store.manifestPath(key)}`,
      }
      : { key, status: "missing", bad: [] };
  }
  const bad: BadFile[] = [];
  for (const [rel, f] of Object.entries(manifest.files)) {
    const blob = store.blobPath(f.digest);
    let actual: string;
    try {
      actual = hashFile(blob);
    } catch {
      actual = "missing";
    }
    if (actual !== f.digest) bad.push({ file: rel, blob, expected: f.digest, actual });
  }
  return { key, status: bad.length > 0 ? "corrupt" : "ok", bad };
}

/**
 * Drops a corrupt artifact so the next run recomputes it: its bad blobs are deleted (other
 * artifacts sharing them are then found corrupt too, on their own check) and its manifest and
 * view removed; the state cache forgets them.
 */
export function repairArtifact(store: Store, check: ArtifactCheck, state: StateCache): void {
  for (const b of check.bad) {
    try {
      const st = Deno.statSync(b.blob);
      state.delete(`${st.dev}:${st.ino}`);
      Deno.removeSync(b.blob);
    } catch { /* already gone */ }
  }
  store.dropArtifact(check.key);
}
