/**
 * The files a Slurm job and the executor share in the store's work area, next to the core's
 * `work/<key>/spec.json` and `result.json`:
 *
 * - `work/<key>/slurm-job.json`        the journal: which job runs this key (written at submit,
 *                                      removed when the executor has seen the job end)
 * - `work/<key>/slurm-<job>.status`    the job's exit-status file, written by the job itself
 * - `work/<key>/slurm-<job>.out`       the instance process's stdout and stderr
 * - `work/slurm/<batch>.sh`            the submitted batch scripts; Slurm's own output beside them
 *
 * @module
 */
import * as path from "node:path";
import { hostname } from "node:os";

/** Writes a small file atomically and durably: a temp file beside it, fsync, rename. */
function writeFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${Deno.pid}-${Date.now()}`);
  const f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
  try {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
    f.syncSync();
  } finally {
    f.close();
  }
  Deno.renameSync(tmp, file);
}

/** The folder of batch scripts and Slurm's own job output. */
export function scriptDir(storePath: string): string {
  return path.join(storePath, "work", "slurm");
}

/** The work folder of a key. */
export function keyWorkDir(storePath: string, key: string): string {
  return path.join(storePath, "work", key);
}

/** The journal of a key: which Slurm job was submitted for it. */
export function journalPath(storePath: string, key: string): string {
  return path.join(keyWorkDir(storePath, key), "slurm-job.json");
}

/** The exit-status file a job writes for a key. */
export function statusPath(storePath: string, key: string, jobId: string): string {
  return path.join(keyWorkDir(storePath, key), `slurm-${jobId}.status`);
}

/** The stdout/stderr of the instance process of a job. */
export function outputPath(storePath: string, key: string, jobId: string): string {
  return path.join(keyWorkDir(storePath, key), `slurm-${jobId}.out`);
}

/** What the executor records when it submits a job for a key. */
export interface JobJournal {
  v: 1;
  /** `123` or `123_4`. */
  job: string;
  key: string;
  id: string;
  /** The batch script file. */
  script: string;
  submitted: string;
  /** The submitting host and pid (for messages). */
  by: string;
}

/** Records the job that runs a key. */
export function writeJournal(storePath: string, j: Omit<JobJournal, "v" | "by">): void {
  const entry: JobJournal = { v: 1, ...j, by: `${hostname()}:${Deno.pid}` };
  Deno.mkdirSync(keyWorkDir(storePath, j.key), { recursive: true });
  writeFileAtomic(journalPath(storePath, j.key), JSON.stringify(entry) + "\n");
}

/** The journal of a key, if any (a malformed one counts as none). */
export function readJournal(storePath: string, key: string): JobJournal | undefined {
  try {
    const j = JSON.parse(Deno.readTextFileSync(journalPath(storePath, key)));
    if (j?.v === 1 && typeof j.job === "string" && j.key === key) return j as JobJournal;
  } catch {
    // absent or torn
  }
  return undefined;
}

/** Forgets the job of a key. */
export function removeJournal(storePath: string, key: string): void {
  tryRemove(journalPath(storePath, key));
}

/** What a job writes about itself (see sbatch_script.ts). */
export interface JobStatus {
  job: string;
  /** `running` after start, `signalled` when SIGTERM/SIGINT arrived, `exited` at the end. */
  state: "running" | "signalled" | "exited";
  host?: string;
  start?: number;
  end?: number;
  /** The instance process's exit code (`exited` only). */
  exit?: number;
  /** The signal the job received (TERM on scancel, time limit or preemption). */
  signal?: string;
}

/** The status file of a job, if present and complete. */
export function readStatus(storePath: string, key: string, jobId: string): JobStatus | undefined {
  try {
    const s = JSON.parse(Deno.readTextFileSync(statusPath(storePath, key, jobId)));
    if (s && s.job === jobId && typeof s.state === "string") return s as JobStatus;
  } catch {
    // not written yet (it is renamed into place, so never torn)
  }
  return undefined;
}

/** Removes a file if present. */
export function tryRemove(file: string): void {
  try {
    Deno.removeSync(file);
  } catch {
    // absent
  }
}

/** The last `n` non-empty lines of a text file ("" when absent). */
export function tailLines(file: string, n: number, maxBytes = 64 * 1024): string[] {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(file, { read: true });
  } catch {
    return [];
  }
  try {
    const size = f.statSync().size;
    const start = Math.max(0, size - maxBytes);
    f.seekSync(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let off = 0;
    while (off < buf.length) {
      const r = f.readSync(buf.subarray(off));
      if (r === null || r === 0) break;
      off += r;
    }
    const lines = new TextDecoder().decode(buf.subarray(0, off)).split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("\x1e"));
    if (start > 0) lines.shift();
    return lines.slice(-n);
  } finally {
    f.close();
  }
}

/** Reads a file from a byte offset; returns the new text and the next offset. */
export function readFrom(file: string, offset: number): { text: string; next: number } {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(file, { read: true });
  } catch {
    return { text: "", next: offset };
  }
  try {
    const size = f.statSync().size;
    if (size <= offset) return { text: "", next: offset };
    f.seekSync(offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - offset);
    let got = 0;
    while (got < buf.length) {
      const r = f.readSync(buf.subarray(got));
      if (r === null || r === 0) break;
      got += r;
    }
    // Hand back whole lines only; a partial last line is read again next time.
    const lastNl = buf.subarray(0, got).lastIndexOf(10);
    if (lastNl < 0) return { text: "", next: offset };
    return {
      text: new TextDecoder().decode(buf.subarray(0, lastNl + 1)),
      next: offset + lastNl + 1,
    };
  } finally {
    f.close();
  }
}
