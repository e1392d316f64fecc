/**
 * The unlabelled pretraining corpus: `nlp-corpus@4.4.0` (MIT), 100 files of 1,000 English
 * sentences each (100,000 sentences).
 *
 * @module
 */
import { join } from "node:path";
import { packageDir } from "../npm_assets.ts";

/** Number of `builds/doc-N.json` files in the package. */
export const NLP_CORPUS_FILES = 100;

/** Reads every sentence, in file order (doc-0 … doc-99). */
export async function loadNlpCorpus(): Promise<{ text: string; doc: number }[]> {
  const dir = join(packageDir("nlp-corpus"), "builds");
  const out: { text: string; doc: number }[] = [];
  for (let i = 0; i < NLP_CORPUS_FILES; i++) {
    const path = join(dir, `doc-${i}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new Error(`${path}: cannot read: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) {
      throw new Error(`${path}: expected a JSON array of sentences`);
    }
    for (const text of parsed as string[]) out.push({ text, doc: i });
  }
  return out;
}
