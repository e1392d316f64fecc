/**
 * Listing the files of a Hub repository (the `/api/<type>s/<repo>/tree/<rev>` API).
 *
 * @module
 */
import { HubApiError, listFiles as hubListFiles } from "@huggingface/hub";
import { hubEndpoint, hubToken } from "./config.ts";
import type { RepoType } from "./download.ts";
import { isNetworkError } from "./download.ts";
import { httpError, HubError, type HubErrorTarget } from "./errors.ts";

/** Options of {@link listFiles}. */
export interface ListFilesOptions {
  repo: string;
  /** Default `model`. */
  repoType?: RepoType;
  /** Default `main`. */
  revision?: string;
  /** Folder inside the repository; default the root. */
  path?: string;
  /** Include subfolders. Default true. */
  recursive?: boolean;
  endpoint?: string;
  token?: string;
  fetch?: typeof fetch;
}

/** One file of a repository. */
export interface RepoFile {
  path: string;
  /** Size in bytes of the file itself (for LFS files, of the content, not the pointer). */
  size: number;
  /** LFS sha256, when the file is stored in LFS. */
  sha256?: string;
  /** Git blob id. */
  gitOid?: string;
}

/**
 * Lists the files (not folders) under `path` in a repository, sorted by path.
 *
 * @throws {HubError} naming the repository: `auth` (401/403), `not-found` (404), `network`.
 */
export async function listFiles(o: ListFilesOptions): Promise<RepoFile[]> {
  const repoType = o.repoType ?? "model";
  const revision = o.revision ?? "main";
  const target: HubErrorTarget = { repo: o.repo, repoType, revision };
  const what = `listing ${o.path ? `folder ${o.path}/` : "the repository"}`;
  let endpoint: string;
  let token: string | undefined;
  try {
    endpoint = hubEndpoint(o.endpoint);
    token = hubToken(o.token);
  } catch (e) {
    throw new HubError("protocol", target, (e as Error).message);
  }
  const url = `${endpoint}/api/${repoType}s/${o.repo}/tree/${revision}${
    o.path ? `/${o.path}` : ""
  }`;
  const out: RepoFile[] = [];
  try {
    for await (
      const entry of hubListFiles({
        repo: { type: repoType, name: o.repo },
        revision,
        path: o.path,
        recursive: o.recursive ?? true,
        hubUrl: endpoint,
        accessToken: token,
        fetch: o.fetch,
      })
    ) {
      if (entry.type !== "file") continue;
      out.push({
        path: entry.path,
        size: entry.lfs?.size ?? entry.size,
        sha256: entry.lfs?.oid?.toLowerCase(),
        gitOid: entry.oid?.toLowerCase(),
      });
    }
  } catch (e) {
    if (e instanceof HubApiError) {
      throw httpError(target, e.statusCode, e.url || url, `${what}: ${e.message}`, e);
    }
    if (isNetworkError(e)) {
      throw new HubError(
        "network",
        target,
        `${what}: cannot reach ${url}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    throw new HubError("protocol", target, `${what}: unexpected answer from ${url}: ${String(e)}`, {
      cause: e,
    });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
