/**
 * Hugging Face Hub client for datasets and models, built on `@huggingface/hub`.
 *
 * - {@link downloadFile}`({repo, repoType, revision, path, dest, endpoint?, token?, expectedSize?,
 *   expectedSha256?, onProgress?, signal?})`: resumable (`<dest>.part` + HTTP Range), verified
 *   (size, LFS sha256 or git blob id), atomically renamed; returns sha256 and resolved commit.
 * - {@link listFiles}`({repo, repoType, revision, path?})`: files with size and hashes.
 * - Endpoint and token default to `HF_ENDPOINT` and `HF_TOKEN`.
 * - Every failure is a {@link HubError} whose message names repository, file and revision and
 *   whose `kind` is `auth` | `not-found` | `network` | `corrupt` | `protocol` | `aborted`.
 *
 * @module
 */
export { DEFAULT_HUB_ENDPOINT, hubEndpoint, hubToken } from "./config.ts";
export {
  type DownloadedFile,
  downloadFile,
  type DownloadFileOptions,
  type RepoType,
} from "./download.ts";
export { describeTarget, HubError, type HubErrorKind, type HubErrorTarget } from "./errors.ts";
export { type FileDigests, fileDigests, parseEtag } from "./hash.ts";
export { listFiles, type ListFilesOptions, type RepoFile } from "./list.ts";
