/**
 * Errors raised by the Hub client: each names the repository, the file and the revision, and
 * says what went wrong in words a user can act on.
 *
 * @module
 */

/** What went wrong, for callers that branch on it. */
export type HubErrorKind =
  | "auth" // 401 / 403: private or gated repository, missing or insufficient token
  | "not-found" // 404: no such repository, revision or file
  | "network" // connection failed or closed mid-transfer (after retries)
  | "corrupt" // size or hash of the downloaded bytes differs from the Hub's metadata
  | "protocol" // the server answered something the client cannot use
  | "aborted"; // the caller's AbortSignal fired

/** Where a Hub error happened. */
export interface HubErrorTarget {
  repo: string;
  repoType: "model" | "dataset";
  revision: string;
  /** File path inside the repository, when the error concerns one file. */
  path?: string;
}

/** An error from the Hub client, naming the repository and file. */
export class HubError extends Error {
  readonly kind: HubErrorKind;
  readonly target: HubErrorTarget;
  /** HTTP status, when the error came from an HTTP response. */
  readonly status?: number;

  constructor(
    kind: HubErrorKind,
    target: HubErrorTarget,
    detail: string,
    opts: { status?: number; cause?: unknown } = {},
  ) {
    super(`${describeTarget(target)}: ${detail}`, { cause: opts.cause });
    this.name = "HubError";
    this.kind = kind;
    this.target = target;
    this.status = opts.status;
  }
}

/** "dataset nyu-mll/glue, file mrpc/train.parquet (revision main)". */
export function describeTarget(t: HubErrorTarget): string {
  const file = t.path === undefined ? "" : `, file ${t.path}`;
  return `${t.repoType} ${t.repo}${file} (revision ${t.revision})`;
}

/** Turns an HTTP status into a HubError with a helpful message. */
export function httpError(
  target: HubErrorTarget,
  status: number,
  url: string,
  serverMessage: string | undefined,
  cause?: unknown,
): HubError {
  const said = serverMessage ? ` Server said: ${serverMessage.trim().slice(0, 300)}` : "";
  if (status === 401 || status === 403) {
    return new HubError(
      "auth",
      target,
      `access denied (HTTP ${status} from ${url}). The repository may be private or gated: ` +
        `accept its terms on the Hub and set HF_TOKEN to a token that can read it.${said}`,
      { status, cause },
    );
  }
  if (status === 404) {
    return new HubError(
      "not-found",
      target,
      `not found (HTTP 404 from ${url}): check the repository name, the revision and the ` +
        `file path.${said}`,
      { status, cause },
    );
  }
  return new HubError("protocol", target, `HTTP ${status} from ${url}.${said}`, {
    status,
    cause,
  });
}
