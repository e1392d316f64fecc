/**
 * Resumable, verified download of one file from a Hugging Face Hub repository.
 *
 * Built on `@huggingface/hub`: `fileDownloadInfo` (size, ETag, resolved URL, Xet info),
 * `pathsInfo` (the authoritative LFS sha256 / git blob id) and `downloadFile` (a Blob whose
 * `slice(offset).stream()` issues an HTTP `Range` request, or a Xet reconstruction).
 *
 * Bytes go to `<dest>.part` (with a `<dest>.part.json` note of what they belong to). A transfer
 * cut short is retried from where it stopped; if the server ignores `Range`, or the remote file
 * changed since the `.part` was begun, the download restarts from zero. When all bytes are there,
 * size and hash are checked against the Hub's metadata (and the caller's expectations), and only
 * then is the `.part` renamed onto `dest`: `dest` either does not exist or is complete and verified.
 *
 * @module
 */
import {
  downloadFile as hubDownloadFile,
  fileDownloadInfo,
  type FileDownloadInfoOutput,
  HubApiError,
  pathsInfo,
} from "@huggingface/hub";
import { dirname } from "node:path";
import { hubEndpoint, hubToken } from "./config.ts";
import { httpError, HubError, type HubErrorTarget } from "./errors.ts";
import { fileDigests, parseEtag } from "./hash.ts";

/** Repository kinds this project downloads from. */
export type RepoType = "model" | "dataset";

/** Options of {@link downloadFile}. */
export interface DownloadFileOptions {
  /** Repository id, e.g. `nyu-mll/glue` or `bert-base-uncased`. */
  repo: string;
  /** Default `model`. */
  repoType?: RepoType;
  /** Branch, tag or commit. Default `main`. */
  revision?: string;
  /** File path inside the repository, e.g. `mrpc/train-00000-of-00001.parquet`. */
  path: string;
  /** Local file to create. Its directory is created if needed. */
  dest: string;
  /** Hub base URL; default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string;
  /** Access token; default `HF_TOKEN` (anonymous when unset). */
  token?: string;
  /** Fail unless the file has this many bytes. */
  expectedSize?: number;
  /** Fail unless the file's sha256 (lowercase hex) is this. */
  expectedSha256?: string;
  /** Called as bytes arrive: bytes present locally so far, total bytes. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts the transfer (the `.part` file is kept for a later resume). */
  signal?: AbortSignal;
  /** Further attempts after a network failure. Default 3. */
  retries?: number;
  /** Wait before retry k is `retryDelayMs * k`. Default 500. */
  retryDelayMs?: number;
  /** Custom fetch (proxies, tests). */
  fetch?: typeof fetch;
}

/** What {@link downloadFile} produced. */
export interface DownloadedFile {
  /** `dest`. */
  path: string;
  size: number;
  /** sha256 of the local bytes (lowercase hex). */
  sha256: string;
  /** Git blob id of the local bytes (what the Hub lists as `oid` for non-LFS files). */
  gitOid: string;
  /** The commit the revision resolved to (`X-Repo-Commit`), when the server said. */
  commit?: string;
  /** The resolve URL the file came from. */
  url: string;
  /** True when `dest` already held the verified file and nothing was transferred. */
  cached: boolean;
  /** Bytes that were already in a `.part` file when this call started (0 for a fresh start). */
  resumedFrom: number;
  /** Transfer attempts made (0 when cached). */
  attempts: number;
}

/** What the Hub says the file should be. */
interface RemoteFile {
  size: number;
  sha256?: string;
  gitOid?: string;
  info: FileDownloadInfoOutput;
}

/** The `.part.json` sidecar: which remote file the `.part` bytes belong to. */
interface PartNote {
  url: string;
  size: number;
  sha256?: string;
  gitOid?: string;
  etag: string;
}

/** Records what the server answered on the resolve URL (the client library hides headers). */
class FetchProbe {
  commit?: string;
  lastStatus?: number;
  rangeRefused = false;

  constructor(
    private readonly inner: typeof fetch,
    private readonly signal?: AbortSignal,
  ) {}

  readonly fetch: typeof fetch = async (input, init) => {
    const res = await this.inner(input, { ...init, signal: init?.signal ?? this.signal });
    const url = input instanceof Request ? input.url : String(input);
    if (!url.includes("/resolve/")) return res;
    this.lastStatus = res.status;
    this.commit = res.headers.get("x-repo-commit") ?? this.commit;
    const range = new Headers(init?.headers).get("range");
    const start = range ? Number(/^bytes=(\d+)-/.exec(range)?.[1] ?? "0") : 0;
    if (start > 0 && res.ok) {
      const cr = res.headers.get("content-range");
      if (res.status !== 206 || !cr || Number(/bytes (\d+)-/.exec(cr)?.[1]) !== start) {
        this.rangeRefused = true;
        await res.body?.cancel();
        throw new Error(`server ignored Range ${range}`);
      }
    }
    return res;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

async function readNote(path: string): Promise<PartNote | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as PartNote;
  } catch {
    return undefined;
  }
}

/** Failures worth retrying: the connection, not the answer. */
export function isNetworkError(e: unknown): boolean {
  if (e instanceof HubApiError || e instanceof HubError) return false;
  if (e instanceof DOMException && e.name === "AbortError") return false;
  return e instanceof TypeError || e instanceof Deno.errors.Http ||
    e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.ConnectionAborted || e instanceof Deno.errors.UnexpectedEof ||
    e instanceof Deno.errors.TimedOut || e instanceof Deno.errors.BrokenPipe;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Maps a failure of the client library to a HubError naming the target. */
function toHubError(e: unknown, target: HubErrorTarget, url: string): HubError {
  if (e instanceof HubError) return e;
  if (e instanceof HubApiError) {
    return httpError(target, e.statusCode, e.url || url, e.message, e);
  }
  if (e instanceof DOMException && e.name === "AbortError") {
    return new HubError("aborted", target, "download aborted", { cause: e });
  }
  return new HubError("protocol", target, `unexpected answer from ${url}: ${errorText(e)}`, {
    cause: e,
  });
}

function resolveUrl(endpoint: string, repoType: RepoType, repo: string, rev: string, path: string) {
  const prefix = repoType === "dataset" ? "datasets/" : "";
  return `${endpoint}/${prefix}${repo}/resolve/${encodeURIComponent(rev)}/${path}`;
}

/** Runs `fn`, retrying network failures; other errors propagate at once. */
async function withRetries<T>(
  fn: () => Promise<T>,
  opts: { retries: number; delayMs: number; target: HubErrorTarget; url: string },
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (signal?.aborted) throw new HubError("aborted", opts.target, "download aborted");
      if (!isNetworkError(e) || attempt >= opts.retries) {
        if (isNetworkError(e)) {
          throw new HubError(
            "network",
            opts.target,
            `cannot reach ${opts.url} after ${attempt + 1} attempts: ${errorText(e)}`,
            { cause: e },
          );
        }
        throw toHubError(e, opts.target, opts.url);
      }
      await sleep(opts.delayMs * (attempt + 1));
    }
  }
}

async function remoteMetadata(
  o: DownloadFileOptions,
  target: HubErrorTarget,
  endpoint: string,
  token: string | undefined,
  probe: FetchProbe,
  url: string,
  retry: { retries: number; delayMs: number },
): Promise<RemoteFile> {
  const repo = { type: target.repoType, name: o.repo };
  const info = await withRetries(
    async () => {
      const got = await fileDownloadInfo({
        repo,
        path: o.path,
        revision: target.revision,
        hubUrl: endpoint,
        accessToken: token,
        fetch: probe.fetch,
      });
      if (got === null) {
        throw new HubError(
          "not-found",
          target,
          `the file does not exist in the repository (HTTP 404 from ${url})`,
          { status: 404 },
        );
      }
      return got;
    },
    { ...retry, target, url },
    o.signal,
  );

  const fromEtag = parseEtag(info.etag);
  let sha256 = fromEtag.sha256;
  let gitOid = fromEtag.gitOid;
  // The paths-info API gives the LFS sha256 authoritatively; older mirrors may lack it.
  try {
    const [entry] = await pathsInfo({
      repo,
      paths: [o.path],
      revision: target.revision,
      hubUrl: endpoint,
      accessToken: token,
      fetch: probe.fetch,
    });
    if (entry?.type === "file") {
      if (entry.size !== info.size && entry.lfs?.size !== info.size) {
        throw new HubError(
          "protocol",
          target,
          `the Hub reports two sizes for the file: ${info.size} (resolve) and ${
            entry.lfs?.size ?? entry.size
          } (paths-info)`,
        );
      }
      if (entry.lfs?.oid) sha256 = entry.lfs.oid.toLowerCase();
      else if (entry.oid) gitOid = entry.oid.toLowerCase();
    }
  } catch (e) {
    if (e instanceof HubError) throw e;
    // Metadata API unavailable: the ETag (or the caller's expectations) must do.
  }
  return { size: info.size, sha256, gitOid, info };
}

/**
 * Downloads `path` from a Hub repository to `dest`, resumably, verifying size and hash.
 *
 * - Endpoint and token come from the options, else `HF_ENDPOINT` / `HF_TOKEN`.
 * - Resumes an existing `<dest>.part` with an HTTP Range request when it belongs to the same
 *   remote file; restarts from zero when it does not or when the server ignores Range.
 * - Verifies the byte count, the LFS sha256 (from paths-info or the `X-Linked-Etag`), the git
 *   blob id for small non-LFS files, and `expectedSize` / `expectedSha256` when given.
 * - Renames into place only after verification; if `dest` already holds the verified file,
 *   transfers nothing (`cached: true`).
 *
 * @throws {HubError} naming the repository, file and revision: `auth` (401/403), `not-found`
 *   (404), `network` (after `retries`), `corrupt` (size/hash mismatch; the bad bytes are
 *   deleted), `protocol`, `aborted`.
 */
export async function downloadFile(o: DownloadFileOptions): Promise<DownloadedFile> {
  const repoType = o.repoType ?? "model";
  const revision = o.revision ?? "main";
  const target: HubErrorTarget = { repo: o.repo, repoType, revision, path: o.path };
  let endpoint: string;
  let token: string | undefined;
  try {
    endpoint = hubEndpoint(o.endpoint);
    token = hubToken(o.token);
  } catch (e) {
    throw new HubError("protocol", target, errorText(e));
  }
  const url = resolveUrl(endpoint, repoType, o.repo, revision, o.path);
  const retry = { retries: o.retries ?? 3, delayMs: o.retryDelayMs ?? 500 };
  const probe = new FetchProbe(o.fetch ?? fetch, o.signal);

  const remote = await remoteMetadata(o, target, endpoint, token, probe, url, retry);
  const expectedSha = o.expectedSha256?.toLowerCase();
  if (o.expectedSize !== undefined && o.expectedSize !== remote.size) {
    throw new HubError(
      "corrupt",
      target,
      `the Hub serves ${remote.size} bytes but ${o.expectedSize} were expected`,
    );
  }
  if (expectedSha && remote.sha256 && expectedSha !== remote.sha256) {
    throw new HubError(
      "corrupt",
      target,
      `the Hub lists sha256 ${remote.sha256} but ${expectedSha} was expected`,
    );
  }
  const wantSha = expectedSha ?? remote.sha256;

  // Already there and verified?
  if ((await statSize(o.dest)) === remote.size) {
    const d = await fileDigests(o.dest);
    if ((!wantSha || d.sha256 === wantSha) && (!remote.gitOid || d.gitOid === remote.gitOid)) {
      o.onProgress?.(remote.size, remote.size);
      return {
        path: o.dest,
        size: remote.size,
        sha256: d.sha256,
        gitOid: d.gitOid,
        commit: probe.commit,
        url,
        cached: true,
        resumedFrom: 0,
        attempts: 0,
      };
    }
  }

  await Deno.mkdir(dirname(o.dest), { recursive: true });
  const part = `${o.dest}.part`;
  const notePath = `${part}.json`;
  const note: PartNote = {
    url,
    size: remote.size,
    sha256: remote.sha256,
    gitOid: remote.gitOid,
    etag: remote.info.etag,
  };
  const old = await readNote(notePath);
  if (!old || JSON.stringify(old) !== JSON.stringify(note)) {
    await removeIfExists(part); // bytes of another version (or of unknown origin)
    await Deno.writeTextFile(notePath, JSON.stringify(note));
  }
  const resumedFrom = (await statSize(part)) ?? 0;

  let attempts = 0;
  for (;;) {
    let have = (await statSize(part)) ?? 0;
    if (have > remote.size) {
      await removeIfExists(part);
      have = 0;
    }
    if (have === remote.size) break;
    attempts++;
    probe.rangeRefused = false;
    probe.lastStatus = undefined;
    const file = await Deno.open(part, { create: true, append: true });
    try {
      const blob = await hubDownloadFile({
        repo: { type: repoType, name: o.repo },
        path: o.path,
        revision,
        hubUrl: endpoint,
        accessToken: token,
        fetch: probe.fetch,
        downloadInfo: remote.info,
      });
      if (!blob) throw new HubError("not-found", target, `the file vanished (HTTP 404 ${url})`);
      const stream = (have > 0 ? blob.slice(have) : blob).stream();
      o.onProgress?.(have, remote.size);
      for await (const chunk of stream) {
        if (o.signal?.aborted) throw new DOMException("aborted", "AbortError");
        if (have + chunk.byteLength > remote.size) {
          throw new HubError(
            "corrupt",
            target,
            `the server sent more than the ${remote.size} bytes it announced`,
          );
        }
        let off = 0;
        while (off < chunk.byteLength) off += await file.write(chunk.subarray(off));
        have += chunk.byteLength;
        o.onProgress?.(have, remote.size);
      }
      if (have < remote.size) throw new Error(`connection closed after ${have} bytes`);
    } catch (e) {
      file.close();
      if (o.signal?.aborted) {
        throw new HubError("aborted", target, `download aborted; ${part} kept for resuming`);
      }
      if (e instanceof HubError && e.kind === "corrupt") {
        await removeIfExists(part);
        await removeIfExists(notePath);
        throw e;
      }
      if (probe.rangeRefused) {
        await removeIfExists(part); // cannot resume: start over
      } else if (probe.lastStatus !== undefined && probe.lastStatus >= 400) {
        throw httpError(target, probe.lastStatus, url, errorText(e), e);
      } else if (e instanceof HubError) {
        throw e;
      }
      if (attempts > retry.retries) {
        throw new HubError(
          "network",
          target,
          `transfer from ${url} failed ${attempts} times (last: ${errorText(e)}); ` +
            `${have} of ${remote.size} bytes are kept in ${part} and a rerun resumes from there`,
          { cause: e },
        );
      }
      await sleep(retry.delayMs * attempts);
      continue;
    }
    file.close();
  }

  const digests = await fileDigests(part);
  const problems: string[] = [];
  if (wantSha && digests.sha256 !== wantSha) {
    problems.push(`sha256 ${digests.sha256}, expected ${wantSha}`);
  }
  if (!remote.sha256 && remote.gitOid && digests.gitOid !== remote.gitOid) {
    problems.push(`git blob id ${digests.gitOid}, expected ${remote.gitOid}`);
  }
  if (problems.length > 0) {
    await removeIfExists(part);
    await removeIfExists(notePath);
    throw new HubError(
      "corrupt",
      target,
      `downloaded bytes are corrupt (${problems.join("; ")}); they were deleted, retry the ` +
        `download`,
    );
  }
  await Deno.rename(part, o.dest);
  await removeIfExists(notePath);
  return {
    path: o.dest,
    size: remote.size,
    sha256: digests.sha256,
    gitOid: digests.gitOid,
    commit: probe.commit,
    url,
    cached: false,
    resumedFrom,
    attempts,
  };
}
