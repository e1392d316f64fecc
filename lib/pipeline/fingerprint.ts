/**
 * Code fingerprints: a stage module's hash covers its own text, every project-local module it
 * imports transitively (relative static imports and re-exports) and the pinned versions of the
 * npm packages that closure imports. Editing `lib/onnx/x.ts` changes exactly the fingerprints
 * of the stages that import it.
 *
 * @module
 */
import * as path from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { canonicalJson, sha256Hex } from "../hash/mod.ts";

/** The engine's own folder: its modules are not part of stage fingerprints. */
export const ENGINE_DIR: string = path.dirname(fromFileUrl(import.meta.url));

interface ScannedFile {
  hash: string;
  local: string[];
  bare: string[];
}

const IMPORT_RE =
  /(?:^|[;\s}])(?:import|export)\s*(type\s+)?(?:[\w*${}\s,]+?\s*from\s*)?["']([^"'\n]+)["']/g;
const DYNAMIC_RE = /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g;

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/**
 * Lists the runtime import specifiers of a module's source (static imports, re-exports, literal
 * dynamic imports); `import type` / `export type` are skipped: they carry no code.
 */
export function importSpecifiers(src: string): string[] {
  const clean = stripComments(src);
  const out: string[] = [];
  for (const m of clean.matchAll(IMPORT_RE)) if (!m[1]) out.push(m[2]);
  for (const m of clean.matchAll(DYNAMIC_RE)) out.push(m[1]);
  return out;
}

function packageName(spec: string): string | undefined {
  if (/^(node|jsr|https?|data|blob):/.test(spec)) return undefined;
  const s = spec.startsWith("npm:") ? spec.slice(4).replace(/^\//, "") : spec;
  const parts = s.split("/");
  if (s.startsWith("@")) return `${parts[0]}/${(parts[1] ?? "").replace(/@.*$/, "")}`;
  return parts[0].replace(/@.*$/, "");
}

/** Computes and caches code fingerprints; one instance per pipeline invocation. */
export class Fingerprinter {
  /** Folders whose modules are not part of fingerprints (default: the pipeline engine itself). */
  readonly exclude: string[];
  #files = new Map<string, ScannedFile>();
  #modules = new Map<string, string>();
  #pins = new Map<string, Record<string, string>>();

  /** Creates a fingerprinter; `exclude` lists folders left out of every closure. */
  constructor(exclude: string[] = [ENGINE_DIR]) {
    this.exclude = exclude.map((d) => (d.endsWith(path.sep) ? d : d + path.sep));
  }

  #excluded(file: string): boolean {
    return this.exclude.some((d) => file.startsWith(d));
  }

  #scan(file: string): ScannedFile {
    const cached = this.#files.get(file);
    if (cached) return cached;
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (e) {
      throw new Error(
        `cannot read module ${file} for its code fingerprint: ${(e as Error).message}`,
      );
    }
    const local: string[] = [];
    const bare: string[] = [];
    for (const spec of importSpecifiers(text)) {
      if (spec.startsWith("./") || spec.startsWith("../")) {
        local.push(path.resolve(path.dirname(file), spec));
      } else if (spec.startsWith("file:")) local.push(fromFileUrl(spec));
      else {
        const name = packageName(spec);
        if (name) bare.push(name);
      }
    }
    const scanned = { hash: sha256Hex(text), local, bare };
    this.#files.set(file, scanned);
    return scanned;
  }

  #pinsFor(dir: string): Record<string, string> {
    const cached = this.#pins.get(dir);
    if (cached) return cached;
    let pins: Record<string, string> = {};
    let d = dir;
    for (;;) {
      try {
        const pkg = JSON.parse(Deno.readTextFileSync(path.join(d, "package.json")));
        pins = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
        for (const [k, v] of Object.entries(pkg.overrides ?? {})) {
          if (typeof v === "string") pins[`override:${k}`] = v;
        }
        break;
      } catch {
        const up = path.dirname(d);
        if (up === d) break;
        d = up;
      }
    }
    this.#pins.set(dir, pins);
    return pins;
  }

  /**
   * The fingerprint of a module (`import.meta.url` or a path) and its local import closure.
   * Paths inside the hash are relative to the module, so moving the project keeps keys.
   */
  module(moduleUrl: string): string {
    const cached = this.#modules.get(moduleUrl);
    if (cached) return cached;
    const root = moduleUrl.startsWith("file:") ? fromFileUrl(moduleUrl) : path.resolve(moduleUrl);
    const seen = new Map<string, string>();
    const packages = new Set<string>();
    const stack = [root];
    while (stack.length > 0) {
      const f = stack.pop()!;
      if (seen.has(f)) continue;
      const s = this.#scan(f);
      seen.set(f, s.hash);
      for (const b of s.bare) packages.add(b);
      for (const l of s.local) if (!seen.has(l) && !this.#excluded(l)) stack.push(l);
    }
    const base = path.dirname(root);
    const files: Record<string, string> = {};
    for (const [f, h] of seen) files[path.relative(base, f)] = h;
    const pins = this.#pinsFor(base);
    const deps: Record<string, string> = {};
    for (const p of packages) deps[p] = pins[p] ?? "unpinned";
    for (const [k, v] of Object.entries(pins)) if (k.startsWith("override:")) deps[k] = v;
    const fp = sha256Hex(canonicalJson({ files, deps }));
    this.#modules.set(moduleUrl, fp);
    return fp;
  }

  /** The project-local files in a module's closure (absolute paths), for display. */
  closure(moduleUrl: string): string[] {
    this.module(moduleUrl);
    const root = moduleUrl.startsWith("file:") ? fromFileUrl(moduleUrl) : path.resolve(moduleUrl);
    const out = new Set<string>();
    const stack = [root];
    while (stack.length > 0) {
      const f = stack.pop()!;
      if (out.has(f)) continue;
      out.add(f);
      for (const l of this.#scan(f).local) if (!this.#excluded(l)) stack.push(l);
    }
    return [...out].sort();
  }
}
