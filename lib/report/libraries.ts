/**
 * The UMD builds of vega, vega-lite and vega-embed, read from `node_modules` and made safe to
 * inline in a `<script>` element, so the report works offline from `file://`.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A library inlined into the page. */
export interface InlineLibrary {
  name: string;
  version: string;
  /** Script text with source-map comments removed and `</script` escaped. */
  code: string;
}

const BUILDS = [
  { name: "vega", file: "vega.min.js" },
  { name: "vega-lite", file: "vega-lite.min.js" },
  { name: "vega-embed", file: "vega-embed.min.js" },
] as const;

/** Makes script text safe inside an inline `<script>`: no source maps, no `</script`. */
export function inlineSafe(code: string): string {
  return code
    .split("\n")
    .filter((line) => !/^\s*\/\/[#@]\s*sourceMappingURL=/.test(line))
    .join("\n")
    .replace(/<\/(script)/gi, "<\\/$1")
    .replace(/<!--/g, "<\\!--");
}

/** Reads the three UMD builds (in load order: vega, vega-lite, vega-embed). */
export function readLibraries(): InlineLibrary[] {
  return BUILDS.map(({ name, file }) => {
    let entry: string;
    try {
      entry = fileURLToPath(import.meta.resolve(name));
    } catch (e) {
      throw new Error(
        `cannot resolve npm package ${name} (run deno install): ${(e as Error).message}`,
      );
    }
    const path = join(dirname(entry), file);
    if (!existsSync(path)) throw new Error(`UMD build of ${name} not found at ${path}`);
    const code = readFileSync(path, "utf8");
    // The package's own package.json (one level above `build/`) gives the version.
    const manifest = join(dirname(dirname(entry)), "package.json");
    const version = existsSync(manifest)
      ? String(JSON.parse(readFileSync(manifest, "utf8")).version)
      : "unknown";
    return { name, version, code: inlineSafe(code) };
  });
}
