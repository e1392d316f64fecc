/**
 * Code fingerprints follow barrels by name: a stage's key changes when a module it uses
 * changes, not when a module that merely shares its `mod.ts` with one does.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { barrelExports, Fingerprinter, moduleImports } from "../../lib/pipeline/fingerprint.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const names = (n: ReadonlySet<string> | "all") => n === "all" ? "all" : [...n].sort();

Deno.test("moduleImports: the names each import uses; type-only imports carry no code", () => {
  const src = `// import { gone } from "./comment.ts";
import { a, b as bee, type T } from "./ab.ts";
import type { U } from "./types.ts";
import * as ns from "./ns.ts";
import def from "./def.ts";
import "./effect.ts";
export { c as see } from "./c.ts";
export * from "./star.ts";
export type { V } from "./v.ts";
const later = await import("./dyn.ts");
`;
  const got = Object.fromEntries(moduleImports(src).map((i) => [i.specifier, names(i.names)]));
  assert.deepEqual(got, {
    "./ab.ts": ["a", "b"],
    "./ns.ts": "all",
    "./def.ts": "all",
    "./effect.ts": "all",
    "./c.ts": ["c"],
    "./star.ts": "all",
    "./dyn.ts": "all",
  });
});

Deno.test("barrelExports: a module of re-exports only is a barrel; one with code is not", () => {
  const barrel = barrelExports(`/** docs */
import type * as X from "./x.ts";
export { a, b as bee } from "./ab.ts";
export * from "./star.ts";
export * as ns from "./ns.ts";
export type { T } from "./t.ts";
`);
  assert.ok(barrel);
  assert.deepEqual(Object.fromEntries(barrel.named), {
    a: { specifier: "./ab.ts", name: "a" },
    bee: { specifier: "./ab.ts", name: "b" },
    ns: { specifier: "./ns.ts", name: "*" },
  });
  assert.deepEqual(barrel.star, ["./star.ts"]);
  assert.equal(barrelExports(`export { a } from "./a.ts";\nexport const b = 1;\n`), undefined);
});

/** A throw-away module tree; `fp(file)` fingerprints one module with a fresh Fingerprinter. */
function tree(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), "idim-fp-"));
  const write = (rel: string, text: string) => {
    Deno.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    Deno.writeTextFileSync(path.join(dir, rel), text);
  };
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  return {
    write,
    append: (rel: string, text: string) =>
      Deno.writeTextFileSync(path.join(dir, rel), text, { append: true }),
    fp: (rel: string) => new Fingerprinter([]).module(path.join(dir, rel)),
    closure: (rel: string) =>
      new Fingerprinter([]).closure(path.join(dir, rel)).map((f) => path.relative(dir, f)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

Deno.test("a stage depends on the modules behind the barrel names it uses, not on the barrel's others", () => {
  const t = tree({
    "lib/mod.ts": `export { used } from "./used.ts";\nexport { other } from "./other.ts";\n` +
      `export * from "./star.ts";\n`,
    "lib/used.ts": `import { helper } from "./helper.ts";\nexport const used = () => helper();\n`,
    "lib/helper.ts": `export const helper = () => 1;\n`,
    "lib/other.ts": `export const other = 2;\n`,
    "lib/star.ts": `export const starred = 3;\n`,
    "stage.ts": `import { used } from "./lib/mod.ts";\nexport const run = () => used();\n`,
    "whole.ts": `import * as lib from "./lib/mod.ts";\nexport const run = () => lib.other;\n`,
    "starred.ts": `import { starred } from "./lib/mod.ts";\nexport const run = () => starred;\n`,
  });
  try {
    assert.deepEqual(t.closure("whole.ts").sort(), [
      "lib/helper.ts",
      "lib/mod.ts",
      "lib/other.ts",
      "lib/star.ts",
      "lib/used.ts",
      "whole.ts",
    ]);
    assert.deepEqual(t.closure("starred.ts"), ["lib/star.ts", "starred.ts"]);
    assert.deepEqual(t.closure("stage.ts"), ["lib/helper.ts", "lib/used.ts", "stage.ts"]);
    const before = t.fp("stage.ts");
    t.append("lib/other.ts", "// edited\n");
    t.append("lib/star.ts", "// edited\n");
    t.append("lib/mod.ts", `export { helper } from "./helper.ts";\n`);
    assert.equal(t.fp("stage.ts"), before, "edits outside what the stage uses");
    t.append("lib/helper.ts", "// edited\n");
    assert.notEqual(t.fp("stage.ts"), before, "an edit to a module the used one imports");
    const now = t.fp("stage.ts");
    t.write(
      "lib/mod.ts",
      `export { used } from "./other.ts";\nexport { other } from "./used.ts";\n`,
    );
    assert.notEqual(t.fp("stage.ts"), now, "the name now comes from another module");
  } finally {
    t.remove();
  }
});

Deno.test("every lib folder's mod.ts is a barrel, so fingerprints can follow it by name", () => {
  const notBarrels: string[] = [];
  for (const e of Deno.readDirSync(path.join(REPO, "lib"))) {
    if (!e.isDirectory) continue;
    const file = path.join(REPO, "lib", e.name, "mod.ts");
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch {
      continue;
    }
    if (!barrelExports(text)) notBarrels.push(`lib/${e.name}/mod.ts`);
  }
  assert.deepEqual(notBarrels, [], "these mod.ts files hold code besides re-exports");
});

Deno.test("the project's stages: training does not depend on the Hub client, the report or Slurm", () => {
  const fp = new Fingerprinter();
  const closure = (stage: string) =>
    fp.closure(path.join(REPO, "stages", stage)).map((f) => path.relative(REPO, f));
  const train = closure("train.ts");
  assert.ok(train.includes("lib/train/train_loop.ts") && train.includes("lib/onnx/session.ts"));
  for (const folder of ["lib/hub/", "lib/report/", "lib/cluster/", "lib/threshold/"]) {
    assert.deepEqual(train.filter((f) => f.startsWith(folder)), [], `train reaches ${folder}`);
  }
  // Training reads the exported graphs and their initial state, not the model builders.
  for (
    const builder of ["lib/models/export.ts", "lib/models/encoder.ts", "lib/models/fastfood.ts"]
  ) {
    assert.ok(!train.includes(builder), `train reaches ${builder}`);
  }
  const threshold = closure("threshold.ts");
  assert.ok(threshold.includes("lib/report/student_t.ts"));
  assert.ok(!threshold.includes("lib/report/analysis.ts"), "a report-only edit re-keys thresholds");
  const report = closure("report.ts");
  assert.ok(report.includes("lib/report/write_report.ts"), "the lazily imported writer counts");
  assert.ok(report.includes("lib/report/charts/d90_vs_r90.ts"));
});
