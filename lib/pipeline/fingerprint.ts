/**
 * Code fingerprints: a stage module's hash covers its own text, every project-local module it
 * imports transitively (relative static imports and re-exports, literal dynamic imports) and the
 * pinned versions of the npm packages that closure imports. Editing `lib/onnx/x.ts` changes
 * exactly the fingerprints of the stages that import it.
 *
 * Barrels are followed by name. A barrel is a module made only of re-exports (`export { a } from`,
 * `export * from`, type-only statements), like every `lib/<folder>/mod.ts`. A stage that imports
 * `{ computeMetrics }` from `lib/data/mod.ts` depends on the module that defines `computeMetrics`
 * (and everything that module imports), not on the Hub downloader the same barrel also
 * re-exports. Any other module counts whole. Where a name cannot be resolved through a barrel
 * (an `export *`, a namespace or default import) every module the barrel re-exports counts: the
 * fingerprint errs towards rerunning, never towards a stale result. Import-time side effects of
 * a module that nothing uses are outside the fingerprint; the barrels here re-export modules
 * without such side effects.
 *
 * @module
 */
import * as path from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { canonicalJson, sha256Hex } from "../hash/mod.ts";

/** The engine's own folder: its modules are not part of stage fingerprints. */
export const ENGINE_DIR: string = path.dirname(fromFileUrl(import.meta.url));

/** What an import statement uses of its target: some names, or all of it. */
export type ImportedNames = ReadonlySet<string> | "all";

/** One runtime import (or re-export) of a module. */
export interface ModuleImport {
  specifier: string;
  /** The target's names it uses (source-side names, before `as`), or `all`. */
  names: ImportedNames;
}

/** A barrel's exported names: each to its target module and the name there. */
export interface BarrelExports {
  named: Map<string, { specifier: string; name: string }>;
  /** Specifiers of `export * from` (and `export * as ns from`, listed in `named` too). */
  star: string[];
}

interface ScannedFile {
  hash: string;
  local: { file: string; names: ImportedNames }[];
  bare: string[];
  /** Set when the module is a barrel: its exports, with targets resolved to files. */
  barrel?: {
    named: Map<string, { file: string | undefined; name: string }>;
    star: (string | undefined)[];
  };
}

const STATEMENT_RE =
  /(?:^|[;\s}])(import|export)\s*(type\s+)?([\w*${}\s,]*?)\s*(?:\bfrom\s*)?["']([^"'\n]+)["']/g;
const DYNAMIC_RE = /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g;

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** The entries of `{ a, b as c, type T }`: [source name, local name] pairs, types left out. */
function braceEntries(clause: string): [string, string][] {
  const inner = clause.slice(clause.indexOf("{") + 1, clause.lastIndexOf("}"));
  const out: [string, string][] = [];
  for (const raw of inner.split(",")) {
    const entry = raw.trim();
    if (entry === "" || /^type\s/.test(entry)) continue;
    const [from, as] = entry.split(/\s+as\s+/);
    out.push([from.trim(), (as ?? from).trim()]);
  }
  return out;
}

/** The names an import or export clause uses of its target. */
function clauseNames(clause: string): ImportedNames {
  const c = clause.trim();
  if (/^\{[\s\S]*\}$/.test(c)) return new Set(braceEntries(c).map(([from]) => from));
  return "all"; // `* as ns`, a default import, `def, { … }`, or a bare side-effect import
}

/**
 * The runtime imports of a module's source (static imports, re-exports, literal dynamic
 * imports) with the names each uses; `import type` / `export type` are skipped: they carry no
 * code.
 */
export function moduleImports(src: string): ModuleImport[] {
  const clean = stripComments(src);
  const out: ModuleImport[] = [];
  for (const m of clean.matchAll(STATEMENT_RE)) {
    if (m[2]) continue;
    out.push({ specifier: m[4], names: clauseNames(m[3]) });
  }
  for (const m of clean.matchAll(DYNAMIC_RE)) out.push({ specifier: m[1], names: "all" });
  return out;
}

/**
 * The exports of a barrel (a module of re-exports only), or undefined for any other module.
 */
export function barrelExports(src: string): BarrelExports | undefined {
  const clean = stripComments(src);
  const reexport =
    /(?:^|[;\s}])export\s*(type\s+)?(\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*["']([^"'\n]+)["']\s*;?/g;
  const typeImport = /(?:^|[;\s}])import\s+type\s[^;"']*?from\s*["'][^"'\n]+["']\s*;?/g;
  if (clean.replace(reexport, " ").replace(typeImport, " ").trim() !== "") return undefined;
  const named = new Map<string, { specifier: string; name: string }>();
  const star: string[] = [];
  for (const m of clean.matchAll(reexport)) {
    if (m[1]) continue;
    const clause = m[2], specifier = m[3];
    if (clause.startsWith("{")) {
      for (const [from, as] of braceEntries(clause)) named.set(as, { specifier, name: from });
    } else {
      const ns = clause.match(/\bas\s+([\w$]+)/);
      if (ns) named.set(ns[1], { specifier, name: "*" });
      else star.push(specifier);
    }
  }
  return { named, star };
}

function packageName(spec: string): string | undefined {
  if (/^(node|jsr|https?|data|blob):/.test(spec)) return undefined;
  const s = spec.startsWith("npm:") ? spec.slice(4).replace(/^\//, "") : spec;
  const parts = s.split("/");
  if (s.startsWith("@")) return `${parts[0]}/${(parts[1] ?? "").replace(/@.*$/, "")}`;
  return parts[0].replace(/@.*$/, "");
}

/** The project-local file a specifier names, relative to `from`, or undefined for packages. */
function localFile(from: string, spec: string): string | undefined {
  if (spec.startsWith("./") || spec.startsWith("../")) {
    return path.resolve(path.dirname(from), spec);
  }
  return spec.startsWith("file:") ? fromFileUrl(spec) : undefined;
}

/** The modules and packages a fingerprint covers. */
interface Closure {
  /** File → content hash, for every module that counts. */
  files: Map<string, string>;
  packages: Set<string>;
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
    const local: ScannedFile["local"] = [];
    const bare: string[] = [];
    for (const imp of moduleImports(text)) {
      const target = localFile(file, imp.specifier);
      if (target) local.push({ file: target, names: imp.names });
      else {
        const name = packageName(imp.specifier);
        if (name) bare.push(name);
      }
    }
    const exports = barrelExports(text);
    const barrel = exports && {
      named: new Map(
        [...exports.named].map((
          [k, v],
        ) => [k, { file: localFile(file, v.specifier), name: v.name }]),
      ),
      star: exports.star.map((s) => localFile(file, s)),
    };
    const scanned = { hash: sha256Hex(text), local, bare, barrel };
    this.#files.set(file, scanned);
    return scanned;
  }

  /** The modules that count for `root`: barrels followed by name, other modules whole. */
  #closure(root: string): Closure {
    const files = new Map<string, string>();
    const packages = new Set<string>();
    const barrelNames = new Map<string, Set<string>>();
    const stack: { file: string; names: ImportedNames }[] = [{ file: root, names: "all" }];
    const push = (file: string | undefined, names: ImportedNames) => {
      if (file !== undefined && !this.#excluded(file)) stack.push({ file, names });
    };
    while (stack.length > 0) {
      const { file, names } = stack.pop()!;
      if (files.has(file)) continue;
      const s = this.#scan(file);
      if (!s.barrel || names === "all") {
        files.set(file, s.hash);
        for (const b of s.bare) packages.add(b);
        for (const l of s.local) push(l.file, l.names);
        continue;
      }
      for (const b of s.bare) packages.add(b);
      const seen = barrelNames.get(file) ?? new Set<string>();
      barrelNames.set(file, seen);
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        const hit = s.barrel.named.get(name);
        if (hit) push(hit.file, hit.name === "*" ? "all" : new Set([hit.name]));
        else if (s.barrel.star.length > 0) {
          for (const f of s.barrel.star) push(f, new Set([name]));
        } else push(file, "all"); // a name the barrel does not export: count all of it
      }
    }
    return { files, packages };
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

  #root(moduleUrl: string): string {
    return moduleUrl.startsWith("file:") ? fromFileUrl(moduleUrl) : path.resolve(moduleUrl);
  }

  /**
   * The fingerprint of a module (`import.meta.url` or a path) and its local import closure.
   * Paths inside the hash are relative to the module, so moving the project keeps keys.
   */
  module(moduleUrl: string): string {
    const cached = this.#modules.get(moduleUrl);
    if (cached) return cached;
    const root = this.#root(moduleUrl);
    const { files: seen, packages } = this.#closure(root);
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

  /** The project-local files whose text a module's fingerprint covers (absolute paths, sorted). */
  closure(moduleUrl: string): string[] {
    return [...this.#closure(this.#root(moduleUrl)).files.keys()].sort();
  }
}
