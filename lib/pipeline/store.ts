/**
 * The content-addressed artifact store.
 *
 * Layout under the store root (default `.idim/store`):
 * - `objects/ab/cdef…`    file blobs addressed by sha256, read-only, shared across artifacts
 * - `artifacts/<key>.json` one manifest per committed instance: `{files: {relpath: {digest, size}}}`;
 *   its rename is the commit point
 * - `views/<key>/`         read-only materialisation of an artifact (hardlinks to blobs)
 * - `work/<key>/`          spec.json, scratch/ (survives crashes), out-* (attempt outputs), result.json
 * - `logs/<key>.log`       the instance's log
 * - `tmp/`                 temp files named `<pid>-…`, swept when their process is gone
 * - `state.json`           the inode → sha256 cache
 * - `lock`                 the run lock (flock)
 *
 * @module
 */
import * as path from "node:path";
import {
  exists,
  fsyncDir,
  fsyncFile,
  hashFile,
  pidAlive,
  removeTree,
  tempName,
  walkFiles,
  writeFileAtomic,
} from "./fsutil.ts";
import { stampOf, type StateCache } from "./state.ts";

/** One file of an artifact. */
export interface ManifestFile {
  digest: string;
  size: number;
}

/** A committed artifact: the outputs of one instance key. */
export interface Manifest {
  v: 1;
  key: string;
  id: string;
  kind: string;
  files: Record<string, ManifestFile>;
  /** ISO time of the commit. */
  created: string;
  /** Seconds the run took. */
  seconds: number;
  /**
   * Input name → key of each tolerated input that had failed when this artifact was made: the
   * artifact is partial, and the runner redoes it once such an input is retried or committed.
   */
  missingInputs?: Record<string, string>;
  /**
   * Set when the artifact was not computed but reused: the earlier version of the instance
   * (same code, same params) whose inputs held the same bytes. Its files, seconds and the keys
   * written inside them are that computation's; `gc` keeps it and its inputs while this lives.
   */
  adoptedFrom?: AdoptedFrom;
}

/** The computation an adopted artifact reuses: its key and its inputs' keys. */
export interface AdoptedFrom {
  key: string;
  inputs: Record<string, string>;
}

/** Result of checking an artifact's blobs. */
export type Verification =
  | { ok: true; manifest: Manifest; rehashed: number }
  | { ok: false; reason: "missing" | "corrupt"; detail: string };

/** What gc removed. */
export interface GcReport {
  artifacts: number;
  blobs: number;
  bytes: number;
  workDirs: number;
}

/** The store at a root directory. */
export class Store {
  readonly objects: string;
  readonly artifacts: string;
  readonly views: string;
  readonly work: string;
  readonly logs: string;
  readonly tmp: string;
  readonly stateFile: string;
  readonly lockFile: string;
  #madeDirs = new Set<string>();

  constructor(readonly root: string) {
    this.objects = path.join(root, "objects");
    this.artifacts = path.join(root, "artifacts");
    this.views = path.join(root, "views");
    this.work = path.join(root, "work");
    this.logs = path.join(root, "logs");
    this.tmp = path.join(root, "tmp");
    this.stateFile = path.join(root, "state.json");
    this.lockFile = path.join(root, "lock");
  }

  /** Whether the store directory exists. */
  exists(): boolean {
    return exists(this.root);
  }

  /** Creates the store's folders. */
  ensure(): void {
    for (const d of [this.objects, this.artifacts, this.views, this.work, this.logs, this.tmp]) {
      Deno.mkdirSync(d, { recursive: true });
    }
  }

  /** Path of a blob. */
  blobPath(digest: string): string {
    return path.join(this.objects, digest.slice(0, 2), digest.slice(2));
  }

  /** Path of an artifact manifest. */
  manifestPath(key: string): string {
    return path.join(this.artifacts, `${key}.json`);
  }

  /** The work folder of an instance key. */
  workDir(key: string): string {
    return path.join(this.work, key);
  }

  /** The log file of an instance key. */
  logPath(key: string): string {
    return path.join(this.logs, `${key}.log`);
  }

  /** The materialised view folder of an artifact. */
  viewDir(key: string): string {
    return path.join(this.views, key);
  }

  /** A fresh temp path inside the store. */
  tmpPath(tag = "t"): string {
    return path.join(this.tmp, tempName(tag));
  }

  /** Reads a manifest, or undefined when absent or unreadable. */
  readManifest(key: string): Manifest | undefined {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.manifestPath(key));
    } catch {
      return undefined;
    }
    try {
      const m = JSON.parse(text) as Manifest;
      if (m && m.v === 1 && m.key === key && m.files && typeof m.files === "object") return m;
    } catch {
      // fall through
    }
    return undefined;
  }

  /** True when an artifact is committed for the key. */
  hasArtifact(key: string): boolean {
    return exists(this.manifestPath(key));
  }

  /**
   * Checks that every blob of an artifact exists and has its digest. Blobs whose inode state is
   * unknown or changed are re-hashed; a mismatching blob is deleted (it is corrupt) and the
   * artifact reported corrupt.
   */
  verify(key: string, state: StateCache, repair = true): Verification {
    const manifest = this.readManifest(key);
    if (!manifest) {
      if (this.hasArtifact(key)) {
        return {
          ok: false,
          reason: "corrupt",
          detail: `unreadable manifest ${this.manifestPath(key)}`,
        };
      }
      return { ok: false, reason: "missing", detail: "no committed artifact" };
    }
    let rehashed = 0;
    for (const [rel, f] of Object.entries(manifest.files)) {
      const blob = this.blobPath(f.digest);
      let st: Deno.FileInfo;
      try {
        st = Deno.statSync(blob);
      } catch {
        return { ok: false, reason: "missing", detail: `blob of ${rel} is missing (${blob})` };
      }
      const stamp = stampOf(st);
      if (st.size === f.size && state.get(stamp) === f.digest) continue;
      const actual = st.size === f.size ? hashFile(blob) : undefined;
      rehashed += 1;
      if (actual === f.digest) {
        state.set(stamp, actual);
        continue;
      }
      if (repair) {
        state.delete(stamp.id);
        try {
          Deno.removeSync(blob);
        } catch {
          // already gone
        }
      }
      return {
        ok: false,
        reason: "corrupt",
        detail: `${rel}: stored blob ${blob} is corrupt (expected sha256 ${
          f.digest.slice(0, 12)
        }…, size ${f.size}; found ${
          actual ? `sha256 ${actual.slice(0, 12)}…` : `size ${st.size}`
        })`,
      };
    }
    return { ok: true, manifest, rehashed };
  }

  /** Removes an artifact's manifest and view (its blobs stay until gc). */
  dropArtifact(key: string): void {
    try {
      Deno.removeSync(this.manifestPath(key));
    } catch {
      // absent
    }
    removeTree(this.viewDir(key));
  }

  #mkdirOnce(d: string): void {
    if (this.#madeDirs.has(d)) return;
    Deno.mkdirSync(d, { recursive: true });
    this.#madeDirs.add(d);
  }

  /**
   * Commits the files under `outDir` as the artifact of `key`: each file becomes a blob
   * (hardlinked, never copied, when on the same device; hashed once thanks to the state cache),
   * then the manifest is written to a temp file, fsynced and renamed into place.
   */
  commit(
    key: string,
    outDir: string,
    meta: { id: string; kind: string; seconds: number; missingInputs?: Record<string, string> },
    state: StateCache,
  ): Manifest {
    const files: Record<string, ManifestFile> = {};
    const syncDirs = new Set<string>();
    for (const rel of walkFiles(outDir)) {
      const file = path.join(outDir, rel);
      const st = Deno.statSync(file);
      const stamp = stampOf(st);
      const digest = state.get(stamp) ?? hashFile(file);
      const blob = this.blobPath(digest);
      if (!exists(blob)) {
        const dir = path.dirname(blob);
        this.#mkdirOnce(dir);
        fsyncFile(file);
        Deno.chmodSync(file, 0o444);
        try {
          Deno.linkSync(file, blob);
        } catch (e) {
          if (e instanceof Deno.errors.AlreadyExists) {
            // stored concurrently by another process
          } else {
            // different device or no hardlinks: copy via a temp file
            const tmp = this.tmpPath("blob");
            Deno.copyFileSync(file, tmp);
            fsyncFile(tmp);
            Deno.chmodSync(tmp, 0o444);
            Deno.renameSync(tmp, blob);
          }
        }
        syncDirs.add(dir);
        const bst = Deno.statSync(blob);
        state.set(stampOf(bst), digest);
      } else {
        state.set(stamp, digest);
      }
      files[rel] = { digest, size: st.size };
    }
    for (const d of syncDirs) fsyncDir(d);
    const manifest: Manifest = {
      v: 1,
      key,
      id: meta.id,
      kind: meta.kind,
      files,
      created: new Date().toISOString(),
      seconds: meta.seconds,
      ...(meta.missingInputs && Object.keys(meta.missingInputs).length > 0
        ? { missingInputs: meta.missingInputs }
        : {}),
    };
    return this.#writeManifest(manifest);
  }

  /** Writes a manifest into place atomically: its rename is the commit point. */
  #writeManifest(m: Manifest): Manifest {
    writeFileAtomic(this.manifestPath(m.key), JSON.stringify(m, null, 1) + "\n", this.tmp);
    return m;
  }

  /**
   * Commits `key` as the artifact `from` already is (no file is copied: the manifest names the
   * same blobs), recording where it came from. The early cut-off: an instance whose inputs came
   * out byte for byte as they were for its earlier, identical version reuses that version.
   */
  adopt(key: string, from: Manifest, previousInputs: Record<string, string>): Manifest {
    return this.#writeManifest({
      v: 1,
      key,
      id: from.id,
      kind: from.kind,
      files: from.files,
      created: new Date().toISOString(),
      seconds: from.seconds,
      adoptedFrom: { key: from.key, inputs: previousInputs },
    });
  }

  /**
   * Materialises an artifact as a read-only folder of hardlinks (`views/<key>`), verifying its
   * blobs first. Returns the folder; throws when the artifact is missing or corrupt.
   */
  materialize(key: string, state: StateCache): string {
    const v = this.verify(key, state);
    if (!v.ok) throw new Error(`input artifact ${key.slice(0, 12)}… is ${v.reason}: ${v.detail}`);
    const dir = this.viewDir(key);
    if (this.#viewCurrent(dir, v.manifest)) return dir;
    const tmp = this.tmpPath("view");
    Deno.mkdirSync(tmp, { recursive: true });
    for (const [rel, f] of Object.entries(v.manifest.files)) {
      const dest = path.join(tmp, rel);
      Deno.mkdirSync(path.dirname(dest), { recursive: true });
      linkOrCopy(this.blobPath(f.digest), dest);
    }
    if (exists(dir)) {
      const old = this.tmpPath("oldview");
      try {
        Deno.renameSync(dir, old);
        removeTree(old);
      } catch {
        // another process replaced it
      }
    }
    try {
      Deno.renameSync(tmp, dir);
    } catch {
      removeTree(tmp);
      if (!this.#viewCurrent(dir, v.manifest)) throw new Error(`cannot materialise ${dir}`);
    }
    return dir;
  }

  #viewCurrent(dir: string, m: Manifest): boolean {
    try {
      for (const [rel, f] of Object.entries(m.files)) {
        const a = Deno.statSync(path.join(dir, rel));
        const b = Deno.statSync(this.blobPath(f.digest));
        if (a.ino !== b.ino || a.dev !== b.dev) return false;
      }
      return walkFiles(dir).length === Object.keys(m.files).length;
    } catch {
      return false;
    }
  }

  /**
   * Publishes an artifact's files under `destDir` (hardlinks, copies across devices). Each file
   * is placed by renaming a temp sibling, so none is ever half-written. Returns files updated.
   */
  publish(m: Manifest, destDir: string): number {
    let updated = 0;
    for (const [rel, f] of Object.entries(m.files)) {
      const blob = this.blobPath(f.digest);
      const dest = path.join(destDir, rel);
      try {
        const a = Deno.statSync(dest);
        const b = Deno.statSync(blob);
        if (a.ino === b.ino && a.dev === b.dev) continue;
      } catch {
        // not published yet
      }
      Deno.mkdirSync(path.dirname(dest), { recursive: true });
      const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${tempName("pub")}`);
      linkOrCopy(blob, tmp);
      Deno.renameSync(tmp, dest);
      updated += 1;
    }
    return updated;
  }

  /** Removes temp files and views left behind by processes that no longer exist. */
  sweepTmp(): void {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(this.tmp)];
    } catch {
      return;
    }
    for (const e of entries) {
      const pid = Number(e.name.split("-")[0].replace(/^\./, ""));
      if (!pidAlive(pid)) removeTree(path.join(this.tmp, e.name));
    }
  }

  /** Keys of all committed artifacts. */
  listArtifacts(): string[] {
    const out: string[] = [];
    try {
      for (const e of Deno.readDirSync(this.artifacts)) {
        if (e.isFile && e.name.endsWith(".json")) out.push(e.name.slice(0, -5));
      }
    } catch {
      // empty store
    }
    return out;
  }

  /**
   * `keys` and, for each adopted artifact among them, the computation it reuses and that
   * computation's inputs (their keys are written inside the reused files), transitively.
   */
  #withAdoptedSources(keys: Set<string>): Set<string> {
    const out = new Set(keys);
    const stack = [...keys];
    while (stack.length > 0) {
      const from = this.readManifest(stack.pop()!)?.adoptedFrom;
      if (!from) continue;
      for (const k of [from.key, ...Object.values(from.inputs)]) {
        if (!out.has(k)) {
          out.add(k);
          stack.push(k);
        }
      }
    }
    return out;
  }

  /**
   * Deletes artifacts whose keys are not in `live`, then blobs no remaining artifact references,
   * plus stale views, work folders and logs. With `dryRun`, only counts.
   */
  gc(liveKeys: Set<string>, state: StateCache, dryRun = false): GcReport {
    const report: GcReport = { artifacts: 0, blobs: 0, bytes: 0, workDirs: 0 };
    const live = this.#withAdoptedSources(liveKeys);
    const keep = new Set<string>();
    for (const key of this.listArtifacts()) {
      const m = live.has(key) ? this.readManifest(key) : undefined;
      if (m) {
        for (const f of Object.values(m.files)) keep.add(f.digest);
        continue;
      }
      report.artifacts += 1;
      if (!dryRun) {
        this.dropArtifact(key);
        try {
          Deno.removeSync(this.logPath(key));
        } catch {
          // no log
        }
      }
    }
    const ids = new Set<string>();
    for (const sub of safeReadDir(this.objects)) {
      const subDir = path.join(this.objects, sub);
      for (const name of safeReadDir(subDir)) {
        const digest = sub + name;
        const p = path.join(subDir, name);
        if (keep.has(digest)) {
          const st = Deno.statSync(p);
          ids.add(`${st.dev}:${st.ino}`);
          continue;
        }
        report.blobs += 1;
        report.bytes += Deno.statSync(p).size;
        if (!dryRun) Deno.removeSync(p);
      }
    }
    for (const key of safeReadDir(this.work)) {
      if (live.has(key) && !this.hasArtifact(key)) continue;
      report.workDirs += 1;
      if (!dryRun) removeTree(path.join(this.work, key));
    }
    for (const key of safeReadDir(this.views)) {
      if (!live.has(key) && !dryRun) removeTree(path.join(this.views, key));
    }
    for (const name of safeReadDir(this.logs)) {
      const key = name.replace(/\.log$/, "");
      if (!live.has(key) && !dryRun) removeTree(path.join(this.logs, name));
    }
    if (!dryRun) {
      this.sweepTmp();
      state.retain(ids);
    }
    return report;
  }
}

function safeReadDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return [];
  }
}

/** Hardlinks `src` to `dest`, copying when hardlinks are impossible (other device). */
export function linkOrCopy(src: string, dest: string): void {
  try {
    Deno.linkSync(src, dest);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) throw e;
    Deno.copyFileSync(src, dest);
    Deno.chmodSync(dest, 0o444);
  }
}

export { writeFileAtomic };
