/**
 * Small synchronous file-system helpers: durable atomic writes, fsync of directories,
 * streaming sha256 of files, and a recursive file walk.
 *
 * @module
 */
import { closeSync, fsyncSync, openSync } from "node:fs";
import { createHash } from "node:crypto";
import * as path from "node:path";

/** fsyncs a directory so that renames inside it are durable. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems do not support fsync on directories; the rename is still atomic.
  }
}

/** fsyncs a file's data. */
export function fsyncFile(file: string): void {
  const f = Deno.openSync(file, { read: true });
  try {
    f.syncSync();
  } finally {
    f.close();
  }
}

let counter = 0;
/** A unique temp name, prefixed with this process's pid so stale ones can be recognised. */
export function tempName(tag = "t"): string {
  counter += 1;
  return `${Deno.pid}-${tag}-${Date.now().toString(36)}-${counter}-${
    Math.random().toString(36).slice(2, 8)
  }`;
}

/**
 * Writes a file atomically: temp file in `tmpDir`, rename. With `durable` (default), the data
 * and the rename are fsynced too.
 */
export function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  tmpDir?: string,
  durable = true,
): void {
  const dir = path.dirname(file);
  const tmp = path.join(tmpDir ?? dir, `.${path.basename(file)}.${tempName()}`);
  const f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
  try {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
    if (durable) f.syncSync();
  } finally {
    f.close();
  }
  Deno.renameSync(tmp, file);
  if (durable) fsyncDir(dir);
}

/** Streams a file through sha256. */
export function hashFile(file: string): string {
  const h = createHash("sha256");
  const f = Deno.openSync(file, { read: true });
  try {
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = f.readSync(buf);
      if (n === null || n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    f.close();
  }
  return h.digest("hex");
}

/** Lists regular files under `dir` as sorted relative paths (forward slashes). */
export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const rec = (d: string, rel: string) => {
    for (const e of Deno.readDirSync(d)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) rec(path.join(d, e.name), r);
      else if (e.isFile) out.push(r);
      else if (e.isSymlink) {
        const st = Deno.statSync(path.join(d, e.name));
        if (st.isFile) out.push(r);
        else if (st.isDirectory) rec(path.join(d, e.name), r);
      }
    }
  };
  rec(dir, "");
  return out.sort();
}

/** Removes a path recursively if present, making read-only files deletable. */
export function removeTree(p: string): void {
  try {
    Deno.removeSync(p, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** True when a path exists. */
export function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process with this pid is alive on this host (Linux /proc). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
