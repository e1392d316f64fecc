/**
 * A loopback HTTP server that serves fixture files in the Hugging Face Hub's URL layout, for
 * testing download code without the Hub. Exported for every test that needs a fake Hub.
 *
 * Served:
 * - `GET|HEAD /<repo>/resolve/<rev>/<path>` (models) and `/datasets/<repo>/resolve/<rev>/<path>`,
 *   with `Range` support (206 + `Content-Range`), `ETag`, `X-Repo-Commit`, and for LFS files
 *   `X-Linked-Etag` / `X-Linked-Size`; 404 with `X-Error-Code` (`RepoNotFound`,
 *   `RevisionNotFound`, `EntryNotFound`); 401 for a private repo without the right token.
 * - `POST /api/<type>s/<repo>/paths-info/<rev>` and `GET /api/<type>s/<repo>/tree/<rev>[/<path>]`.
 *
 * Faults, for tests: {@link HubFixtureServer.interrupt} (close the connection after N body bytes,
 * for the next K transfers), `ignoreRange` (answer 200 to Range requests), and per-file
 * `servedBytes` (serve bytes that differ from the metadata: corruption in transit).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** One file of a fixture repository. */
export interface FixtureFile {
  bytes: Uint8Array;
  /** Stored in LFS (sha256 in `X-Linked-Etag` and paths-info). Default: path ends in a binary
   * extension (.parquet, .safetensors, .bin, .onnx). */
  lfs?: boolean;
  /** Bytes actually sent (default `bytes`): differing bytes simulate corruption in transit. */
  servedBytes?: Uint8Array;
}

/** A fixture repository. */
export interface FixtureRepo {
  type: "model" | "dataset";
  /** e.g. `nyu-mll/glue` or `bert-base-uncased`. */
  name: string;
  /** Branch name served besides the commit id. Default `main`. */
  branch?: string;
  /** Commit id (40 hex). Default derived from the name. */
  commit?: string;
  /** Path → file (or raw bytes). */
  files: Record<string, FixtureFile | Uint8Array | string>;
  /** Require `Authorization: Bearer <token>` (the server's `token`). */
  private?: boolean;
}

/** Options of {@link startHubFixtureServer}. */
export interface HubFixtureServerOptions {
  repos: FixtureRepo[];
  /** The token that opens private repos. Default `hf_fixture_token`. */
  token?: string;
  /** Answer resume Range requests (`bytes=N-` with N > 0) with the whole file (200), as a proxy
   * without Range support would; the `bytes=0-0` size probe still gets 206. */
  ignoreRange?: boolean;
}

/** A logged request. */
export interface LoggedRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
}

/** A running fixture server. */
export interface HubFixtureServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (use as `endpoint` or `HF_ENDPOINT`). */
  url: string;
  /** The token that opens private repos. */
  token: string;
  /** Every request answered, in order. */
  requests: LoggedRequest[];
  /** Options, mutable between requests (e.g. toggle `ignoreRange`). */
  options: HubFixtureServerOptions;
  /** The next `times` GETs of `path` (in any repo) send `afterBytes` body bytes, then drop. */
  interrupt(path: string, afterBytes: number, times?: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const LFS_EXT = /\.(parquet|safetensors|bin|onnx|pt|h5|msgpack|arrow)$/;

interface Served {
  bytes: Uint8Array;
  sent: Uint8Array;
  lfs: boolean;
  sha256: string;
  gitOid: string;
}

const encoder = new TextEncoder();

function hex(alg: string, ...parts: (Uint8Array | string)[]): string {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

function gitBlobId(bytes: Uint8Array): string {
  return hex("sha1", `blob ${bytes.byteLength}\0`, bytes);
}

function served(f: FixtureFile | Uint8Array | string, path: string): Served {
  const file: FixtureFile = typeof f === "string"
    ? { bytes: encoder.encode(f) }
    : f instanceof Uint8Array
    ? { bytes: f }
    : f;
  const lfs = file.lfs ?? LFS_EXT.test(path);
  const sha256 = hex("sha256", file.bytes);
  const pointer = encoder.encode(
    `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${file.bytes.byteLength}\n`,
  );
  return {
    bytes: file.bytes,
    sent: file.servedBytes ?? file.bytes,
    lfs,
    sha256,
    gitOid: gitBlobId(lfs ? pointer : file.bytes),
  };
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function hubError(status: number, code: string, message: string): Response {
  return json({ error: message }, status, { "x-error-code": code });
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export function startHubFixtureServer(options: HubFixtureServerOptions): Promise<HubFixtureServer> {
  const token = options.token ?? "hf_fixture_token";
  const requests: LoggedRequest[] = [];
  const interrupts = new Map<string, { afterBytes: number; times: number }>();

  const repos = options.repos.map((r) => ({
    ...r,
    branch: r.branch ?? "main",
    commit: r.commit ?? hex("sha1", `commit:${r.type}:${r.name}`),
    served: new Map(Object.entries(r.files).map(([p, f]) => [p, served(f, p)])),
  }));

  /** Splits `rest` (after `/datasets/` or `/`) into a known repo and what follows it. */
  function findRepo(type: "model" | "dataset", rest: string) {
    for (const r of repos) {
      if (r.type === type && rest.startsWith(`${r.name}/`)) {
        return { repo: r, tail: rest.slice(r.name.length + 1) };
      }
    }
    return undefined;
  }

  function authorize(repo: (typeof repos)[number], req: Request): Response | undefined {
    if (!repo.private) return undefined;
    if (req.headers.get("authorization") === `Bearer ${token}`) return undefined;
    return hubError(
      401,
      "RepoNotFound",
      "Invalid credentials in Authorization header or repository is gated",
    );
  }

  function checkRevision(repo: (typeof repos)[number], rev: string): Response | undefined {
    if (rev === repo.branch || rev === repo.commit) return undefined;
    return hubError(404, "RevisionNotFound", `Invalid rev id: ${rev}`);
  }

  function resolve(req: Request, type: "model" | "dataset", rest: string): Response {
    const found = findRepo(type, rest);
    if (!found) return hubError(404, "RepoNotFound", "Repository not found");
    const { repo, tail } = found;
    const denied = authorize(repo, req);
    if (denied) return denied;
    const m = /^resolve\/([^/]+)\/(.+)$/.exec(tail);
    if (!m) return hubError(404, "EntryNotFound", "Not a resolve URL");
    const rev = decodeURIComponent(m[1]);
    const badRev = checkRevision(repo, rev);
    if (badRev) return badRev;
    const path = decodeURIComponent(m[2]);
    const file = repo.served.get(path);
    if (!file) return hubError(404, "EntryNotFound", `Entry not found: ${path}`);

    const size = file.bytes.byteLength;
    const etag = `"${file.lfs ? file.sha256 : file.gitOid}"`;
    const headers: Record<string, string> = {
      "accept-ranges": "bytes",
      "content-type": "application/octet-stream",
      etag,
      "x-repo-commit": repo.commit,
    };
    if (file.lfs) {
      headers["x-linked-etag"] = etag;
      headers["x-linked-size"] = String(size);
    }
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.get("range");
    // ignoreRange: the `bytes=0-0` size probe works, resume ranges get the whole file (200).
    if (range && !(options.ignoreRange && !range.startsWith("bytes=0-"))) {
      const r = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!r || Number(r[1]) >= size) {
        return new Response(null, {
          status: 416,
          headers: { "content-range": `bytes */${size}` },
        });
      }
      start = Number(r[1]);
      end = r[2] === "" ? size - 1 : Math.min(Number(r[2]), size - 1);
      status = 206;
      headers["content-range"] = `bytes ${start}-${end}/${size}`;
    }
    const body = file.sent.subarray(start, end + 1);
    headers["content-length"] = String(end - start + 1);
    if (req.method === "HEAD") return new Response(null, { status, headers });

    const cut = interrupts.get(path);
    if (cut && cut.times > 0 && body.byteLength > cut.afterBytes) {
      cut.times--;
      const head = body.slice(0, cut.afterBytes);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          if (head.byteLength > 0) controller.enqueue(head);
        },
        pull(controller) {
          // Ends the body short of its Content-Length: the server drops the connection.
          controller.close();
        },
      });
      return new Response(stream, { status, headers });
    }
    return new Response(body.slice(), { status, headers });
  }

  function pathEntry(path: string, f: Served) {
    return {
      type: "file",
      path,
      oid: f.gitOid,
      size: f.lfs ? f.bytes.byteLength : f.bytes.byteLength,
      ...(f.lfs ? { lfs: { oid: f.sha256, size: f.bytes.byteLength, pointerSize: 134 } } : {}),
    };
  }

  async function api(req: Request, rest: string, search: URLSearchParams): Promise<Response> {
    const m = /^(models|datasets)\/(.+)$/.exec(rest);
    if (!m) return hubError(404, "NotFound", "Unknown API route");
    const type = m[1] === "models" ? "model" : "dataset";
    const found = findRepo(type, m[2]);
    if (!found) return hubError(404, "RepoNotFound", "Repository not found");
    const { repo, tail } = found;
    const denied = authorize(repo, req);
    if (denied) return denied;
    const pi = /^paths-info\/([^/]+)$/.exec(tail);
    if (pi && req.method === "POST") {
      const badRev = checkRevision(repo, decodeURIComponent(pi[1]));
      if (badRev) return badRev;
      const body = await req.json() as { paths?: string[] };
      const out = (body.paths ?? []).flatMap((p) => {
        const f = repo.served.get(p);
        return f ? [pathEntry(p, f)] : [];
      });
      return json(out);
    }
    const tree = /^tree\/([^/]+)(?:\/(.*))?$/.exec(tail);
    if (tree && req.method === "GET") {
      const badRev = checkRevision(repo, decodeURIComponent(tree[1]));
      if (badRev) return badRev;
      const dir = tree[2] ? decodeURIComponent(tree[2]).replace(/\/$/, "") + "/" : "";
      const recursive = search.get("recursive") === "true";
      const entries: unknown[] = [];
      const dirs = new Set<string>();
      for (const [p, f] of [...repo.served.entries()].sort()) {
        if (!p.startsWith(dir)) continue;
        const rel = p.slice(dir.length);
        const slash = rel.indexOf("/");
        if (slash >= 0 && !recursive) {
          dirs.add(dir + rel.slice(0, slash));
          continue;
        }
        entries.push(pathEntry(p, f));
      }
      if (dir !== "" && entries.length === 0 && dirs.size === 0) {
        return hubError(404, "EntryNotFound", `Entry not found: ${dir}`);
      }
      for (const d of dirs) {
        entries.push({ type: "directory", path: d, oid: "0".repeat(40), size: 0 });
      }
      return json(entries);
    }
    return hubError(404, "NotFound", "Unknown API route");
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const p = decodeURI(url.pathname);
    if (p.startsWith("/api/")) return await api(req, p.slice(5), url.searchParams);
    if (p.startsWith("/datasets/")) return resolve(req, "dataset", p.slice(10));
    return resolve(req, "model", p.slice(1));
  }

  const ac = new AbortController();
  return new Promise((resolveStart) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: ac.signal,
      onListen: ({ port }) => {
        resolveStart({
          url: `http://127.0.0.1:${port}`,
          token,
          requests,
          options,
          interrupt(path, afterBytes, times = 1) {
            interrupts.set(path, { afterBytes, times });
          },
          async close() {
            ac.abort();
            await server.finished;
          },
        });
      },
    }, async (req) => {
      const res = await handle(req);
      requests.push({
        method: req.method,
        path: new URL(req.url).pathname,
        range: req.headers.get("range") ?? undefined,
        status: res.status,
      });
      return res;
    });
  });
}
