/**
 * Locating data files shipped inside npm packages (under `node_modules/`).
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { existsSync, readFileSync } from "node:fs";

const require = createRequire(import.meta.url);

/**
 * The root directory of an installed npm package, found from its resolvable entry point (some
 * packages export neither `package.json` nor their data files).
 */
export function packageDir(name: string, entry = ""): string {
  let start: string;
  try {
    start = require.resolve(entry ? `${name}/${entry}` : name);
  } catch (e) {
    throw new Error(
      `npm package ${name} is not installed (${(e as Error).message.split("\n")[0]}); ` +
        `run \`deno install\` in the project root`,
    );
  }
  for (let dir = dirname(start); dir !== dirname(dir); dir = dirname(dir)) {
    const pj = join(dir, "package.json");
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, "utf8")).name === name) return dir;
      } catch {
        // not a package.json we can read: keep walking up
      }
    }
  }
  throw new Error(`cannot find the root directory of npm package ${name} from ${start}`);
}
