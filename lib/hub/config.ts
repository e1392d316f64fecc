/**
 * Where the Hub is and who we are: `HF_ENDPOINT` and `HF_TOKEN`, as the Python
 * `huggingface_hub` client reads them.
 *
 * @module
 */

/** The public Hub, used when neither an explicit endpoint nor `HF_ENDPOINT` is set. */
export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

function env(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

/** The Hub base URL: `explicit`, else `HF_ENDPOINT`, else https://huggingface.co (no trailing /). */
export function hubEndpoint(explicit?: string): string {
  const raw = explicit ?? env("HF_ENDPOINT") ?? DEFAULT_HUB_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(
      `Hub endpoint ${JSON.stringify(raw)} (from ${
        explicit === undefined ? "HF_ENDPOINT" : "the endpoint option"
      }) is not a URL; expected e.g. https://huggingface.co`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * The access token: `explicit`, else `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`; undefined for
 * anonymous access. Hub tokens start with `hf_` (the client library insists on it).
 */
export function hubToken(explicit?: string): string | undefined {
  const token = explicit ?? env("HF_TOKEN") ?? env("HUGGING_FACE_HUB_TOKEN");
  if (token !== undefined && !token.startsWith("hf_")) {
    throw new Error(
      `Hub token (from ${
        explicit === undefined ? "HF_TOKEN" : "the token option"
      }) must start with "hf_"; create one at https://huggingface.co/settings/tokens`,
    );
  }
  return token;
}
