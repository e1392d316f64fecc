/**
 * The state cache: remembers the sha256 of files by (device, inode, size, mtime), as DVC's state
 * does, so a rerun does not re-read gigabytes. A file whose identity or mtime changed is
 * re-hashed.
 *
 * @module
 */
import { writeFileAtomic } from "./fsutil.ts";

/** One remembered hash: inode identity → [size, mtime ms, sha256]. */
export type StateEntry = [id: string, size: number, mtimeMs: number, digest: string];

/** The identity and freshness of a file, from `Deno.stat`. */
export interface FileStamp {
  id: string;
  size: number;
  mtimeMs: number;
}

/** Stamps a file from its stat info. */
export function stampOf(st: Deno.FileInfo): FileStamp {
  return { id: `${st.dev}:${st.ino}`, size: st.size, mtimeMs: st.mtime?.getTime() ?? 0 };
}

/** A persistent inode-keyed hash cache. Only the process holding the store lock saves it. */
export class StateCache {
  #entries = new Map<string, [number, number, string]>();
  #added: StateEntry[] = [];
  #dirty = false;

  constructor(readonly file: string) {}

  /** Loads the cache file (a missing or unreadable file is an empty cache). */
  load(): this {
    try {
      const data = JSON.parse(Deno.readTextFileSync(this.file));
      if (data?.v === 1 && data.entries && typeof data.entries === "object") {
        for (const [k, v] of Object.entries(data.entries)) {
          if (Array.isArray(v) && v.length === 3) {
            this.#entries.set(k, v as [number, number, string]);
          }
        }
      }
    } catch {
      // start empty
    }
    return this;
  }

  /** The remembered digest of a file with this stamp, if still fresh. */
  get(stamp: FileStamp): string | undefined {
    const e = this.#entries.get(stamp.id);
    if (e && e[0] === stamp.size && e[1] === stamp.mtimeMs) return e[2];
    return undefined;
  }

  /** Remembers a digest. */
  set(stamp: FileStamp, digest: string): void {
    const e = this.#entries.get(stamp.id);
    if (e && e[0] === stamp.size && e[1] === stamp.mtimeMs && e[2] === digest) return;
    this.#entries.set(stamp.id, [stamp.size, stamp.mtimeMs, digest]);
    this.#added.push([stamp.id, stamp.size, stamp.mtimeMs, digest]);
    this.#dirty = true;
  }

  /** Forgets a file identity (e.g. a deleted blob). */
  delete(id: string): void {
    if (this.#entries.delete(id)) this.#dirty = true;
  }

  /** Entries set since load (a child process hands them to the parent). */
  added(): StateEntry[] {
    return this.#added;
  }

  /** Merges entries reported by another process. */
  merge(entries: StateEntry[]): void {
    for (const [id, size, mtimeMs, digest] of entries) this.set({ id, size, mtimeMs }, digest);
  }

  /** Keeps only the given identities. */
  retain(ids: Set<string>): void {
    for (const k of [...this.#entries.keys()]) if (!ids.has(k)) this.delete(k);
  }

  /** Writes the cache atomically if it changed. */
  save(tmpDir?: string): void {
    if (!this.#dirty) return;
    const entries: Record<string, [number, number, string]> = {};
    for (const [k, v] of this.#entries) entries[k] = v;
    writeFileAtomic(this.file, JSON.stringify({ v: 1, entries }), tmpDir);
    this.#dirty = false;
  }
}
