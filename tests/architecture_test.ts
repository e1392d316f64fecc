/**
 * The folder layering, checked on the import statements of every module under `lib/`:
 *
 * (a) the generic engine `lib/pipeline/` is imported only by itself and by the planner
 *     (`lib/plan/`); the project's plug-ins (`stages/`, `executors/`) sit outside `lib/`;
 * (b) the engine imports neither the Slurm code (`lib/cluster/`) nor the devices (`lib/device/`):
 *     executors and the device option reach it as plug-ins registered by `pipeline.ts`;
 * (d) each top-level folder `lib/<f>/` has one public surface, its `mod.ts`: an import from outside
 *     the folder (another lib folder, `stages/`, `executors/`, `bench/`, `scripts/`, `pipeline.ts`)
 *     targets `lib/<f>/mod.ts` — or, for the engine, its plug-in contract `lib/pipeline/stage.ts`.
 *     Tests (`tests/`) are exempt: they test modules directly;
 * (e) no folder imports its own `mod.ts` (siblings import each other directly, so the surface
 *     never closes a cycle inside its folder).
 *
 * A violation is printed as `file imports target`.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Every .ts file under a folder, repo-relative with `/` separators. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(path.join(REPO, dir))) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...tsFiles(rel));
    else if (e.isFile && e.name.endsWith(".ts")) out.push(rel);
  }
  return out.sort();
}

/** The module specifiers a source imports or re-exports (static and dynamic), comments aside. */
export function importSpecifiers(source: string): string[] {
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("//"))
    .join("\n");
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^;"']*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[1]);
  return specs;
}

/** The repo-relative targets of a file's relative imports (bare and URL imports are skipped). */
function importTargets(file: string): string[] {
  const source = Deno.readTextFileSync(path.join(REPO, file));
  return importSpecifiers(source)
    .filter((s) => s.startsWith("."))
    .map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)));
}

const under = (file: string, dir: string) => file.startsWith(`${dir}/`);

/** The violations of rules (a) and (b) in `lib/`, as `file imports target`. */
function violations(): { a: string[]; b: string[] } {
  const a: string[] = [];
  const b: string[] = [];
  for (const file of tsFiles("lib")) {
    for (const target of importTargets(file)) {
      if (
        under(target, "lib/pipeline") && !under(file, "lib/pipeline") &&
        !under(file, "lib/plan")
      ) {
        a.push(`${file} imports ${target}`);
      }
      if (
        under(file, "lib/pipeline") && (under(target, "lib/cluster") || under(target, "lib/device"))
      ) {
        b.push(`${file} imports ${target}`);
      }
    }
  }
  return { a, b };
}

Deno.test("import statements are found, type-only, multi-line and dynamic ones too", () => {
  const src = `/** import { x } from "../nope.ts"; */
// import { y } from "../nope2.ts";
import { a } from "./a.ts";
import type {
  B,
  C,
} from "../b.ts";
export { d } from "./d.ts";
export * from "./e.ts";
import "./f.ts";
const g = await import("./g.ts");
`;
  assert.deepEqual(importSpecifiers(src).sort(), [
    "../b.ts",
    "./a.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./g.ts",
  ]);
});

Deno.test("only lib/plan/ imports lib/pipeline/ from lib/", () => {
  const { a } = violations();
  if (a.length > 0) console.error(a.join("\n"));
  assert.deepEqual(a, [], `modules under lib/ importing lib/pipeline/:\n${a.join("\n")}`);
});

Deno.test("lib/pipeline/ imports neither lib/cluster/ nor lib/device/", () => {
  const { b } = violations();
  if (b.length > 0) console.error(b.join("\n"));
  assert.deepEqual(b, [], `engine modules importing Slurm or device code:\n${b.join("\n")}`);
});

/**
 * The violations of rule (c): a stage module takes from the engine only its plug-in contract
 * (`lib/pipeline/stage.ts`) and never names the store's layout — its inputs, keys and sub-runs
 * come through the stage context.
 */
function stageViolations(): string[] {
  const out: string[] = [];
  const storeLayout =
    /["'`][^"'`]*\b(spec\.json|result\.json\b.*work|\.idim\/store|views\/|work\/)/;
  for (const file of tsFiles("stages")) {
    for (const target of importTargets(file)) {
      if (under(target, "lib/pipeline") && target !== "lib/pipeline/stage.ts") {
        out.push(`${file} imports ${target}`);
      }
    }
    const source = Deno.readTextFileSync(path.join(REPO, file));
    source.split("\n").forEach((line, i) => {
      if (storeLayout.test(line)) {
        out.push(`${file}:${i + 1} names the store layout: ${line.trim()}`);
      }
    });
  }
  return out;
}

/** The top-level lib folder of a repo-relative path (`lib/models` for `lib/models/x/y.ts`). */
const libFolder = (file: string): string | undefined =>
  file.startsWith("lib/") ? file.split("/").slice(0, 2).join("/") : undefined;

/** The violations of rules (d) and (e), as `file imports target`. */
function surfaceViolations(): { d: string[]; e: string[] } {
  const d: string[] = [];
  const e: string[] = [];
  const importers = [
    ...tsFiles("lib"),
    ...tsFiles("stages"),
    ...tsFiles("executors"),
    ...tsFiles("bench"),
    ...tsFiles("scripts"),
    "pipeline.ts",
  ];
  for (const file of importers) {
    const own = libFolder(file);
    for (const target of importTargets(file)) {
      const folder = libFolder(target);
      if (!folder) continue;
      if (folder === own) {
        if (target === `${own}/mod.ts` && file !== target) e.push(`${file} imports ${target}`);
      } else if (target !== `${folder}/mod.ts` && target !== "lib/pipeline/stage.ts") {
        d.push(`${file} imports ${target}`);
      }
    }
  }
  return { d, e };
}

Deno.test("imports into a lib folder from outside it go through its mod.ts", () => {
  const { d } = surfaceViolations();
  if (d.length > 0) console.error(d.join("\n"));
  assert.deepEqual(d, [], `imports reaching past a folder's mod.ts:\n${d.join("\n")}`);
});

Deno.test("no lib folder imports its own mod.ts", () => {
  const { e } = surfaceViolations();
  if (e.length > 0) console.error(e.join("\n"));
  assert.deepEqual(e, [], `folders importing their own mod.ts:\n${e.join("\n")}`);
});

Deno.test("stages reach the engine only through the stage contract and context", () => {
  const v = stageViolations();
  assert.deepEqual(v, [], `stages reaching under the engine:\n${v.join("\n")}`);
});
