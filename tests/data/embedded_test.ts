import assert from "node:assert/strict";
import { BROWN_GENRES, detokenizeBrown, loadBrown } from "../../lib/data/embedded/brown.ts";
import { loadNlpCorpus } from "../../lib/data/embedded/nlp_corpus.ts";
import { emailText, loadSpam, SPAM_SOURCES } from "../../lib/data/embedded/spam.ts";
import { finishTask, type PairNegatives, readEmbeddedSource } from "../../lib/data/prepare.ts";
import { type EmbeddedTaskSpec, taskSpec } from "../../lib/data/tasks.ts";
import type { Row } from "../../lib/data/schema.ts";

const policy = (seed: number) => ({
  name: "holdout" as const,
  seed,
  selectFraction: 0.1,
  reportFraction: 0.2,
  byGroup: true,
});

async function prepare(task: string, seed = 0, negatives?: PairNegatives) {
  const spec = taskSpec(task) as EmbeddedTaskSpec;
  const { src, labelNames, source } = await readEmbeddedSource(task, spec);
  return finishTask(
    task,
    src,
    labelNames,
    spec,
    { ...policy(seed), byGroup: spec.byGroup },
    source,
    negatives,
  );
}

const all = (rows: Record<string, Row[]>) => [...rows.train, ...rows.select, ...rows.report];

Deno.test("spam: 6,046 emails, 4,150 ham and 1,896 spam, split without loss or overlap", async () => {
  const mails = await loadSpam();
  assert.equal(mails.length, 6046);
  assert.equal(mails.filter((m) => m.label === 0).length, 4150);
  assert.equal(mails.filter((m) => m.label === 1).length, 1896);
  // Routing headers are dropped; one spam message quotes a whole header block in its body.
  const headerish = mails.filter((m) => /^(Received|Return-Path|Delivered-To):/m.test(m.text));
  assert.deepEqual(headerish.map((m) => m.id), ["spam-2/00403"]);
  const t = await prepare("spam");
  const rows = all(t.rows);
  assert.equal(rows.length, 6046);
  assert.equal(rows.filter((r) => r.label === 1).length, 1896);
  assert.equal(new Set(rows.map((r) => r.group)).size, 6046);
  assert.deepEqual(t.meta.labelNames, ["ham", "spam"]);
  assert.equal(t.meta.splits.report.rows, 1209); // round(0.2 × 4150) + round(0.2 × 1896)
});

Deno.test("spam labels source: the corpus folder of each email, 5 labels with the folders' counts", async () => {
  const spec = taskSpec("spam") as EmbeddedTaskSpec;
  const { src, labelNames, source } = await readEmbeddedSource("spam", spec, { labels: "source" });
  assert.deepEqual(labelNames, SPAM_SOURCES);
  assert.equal(source.labels, "source");
  const counts = labelNames.map((_, i) => src.train.filter((r) => r.label === i).length);
  assert.deepEqual(counts, [2500, 1400, 250, 500, 1396]);
  // The binary task (the default) keeps its rows and provenance: ham 0, spam 1.
  const binary = await readEmbeddedSource("spam", spec, {});
  assert.equal("labels" in binary.source, false);
  src.train.forEach((r, i) => {
    assert.equal(binary.src.train[i].text_a, r.text_a);
    assert.equal(binary.src.train[i].label, r.label >= 3 ? 1 : 0);
  });
});

Deno.test("emailText keeps the subject and readable body, decoding MIME", () => {
  const raw = [
    "From someone Thu Aug 22 2002",
    "Received: from x by y",
    "Subject: =?utf-8?B?SGVsbG8gd29ybGQ=?=",
    'Content-Type: multipart/alternative; boundary="BB"',
    "",
    "--BB",
    "Content-Type: text/html",
    "",
    "<p>Buy <b>now</b> &amp; save</p>",
    "--BB",
    "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Caf=E9 prices =",
    "cut",
    "--BB--",
  ].join("\n");
  assert.equal(emailText(raw), "Hello world\nCafé prices cut");
});

Deno.test("Brown: 500 documents, 57,340 sentences, 15 genres with their document counts", async () => {
  const docs = await loadBrown();
  assert.equal(docs.length, 500);
  assert.equal(docs.reduce((n, d) => n + d.sentences.length, 0), 57340);
  const perGenre = Object.fromEntries(BROWN_GENRES.map((g) => [g, 0]));
  for (const d of docs) perGenre[d.genre]++;
  assert.deepEqual(perGenre, {
    news: 44,
    editorial: 27,
    reviews: 17,
    religion: 17,
    hobbies: 36,
    lore: 48,
    belles_lettres: 75,
    government: 30,
    learned: 80,
    fiction: 29,
    mystery: 24,
    science_fiction: 6,
    adventure: 29,
    romance: 29,
    humor: 9,
  });
  assert.equal(
    docs[0].sentences[0],
    `The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary ` +
      `election produced "no evidence" that any irregularities took place.`,
  );
  assert.equal(detokenizeBrown("He/pps said/vbd ,/, ``/`` no/at ''/'' ./."), 'He said, "no".');
});

Deno.test("brown-genre: splits hold out whole documents, all 57,340 sentences kept", async () => {
  const t = await prepare("brown-genre");
  assert.equal(all(t.rows).length, 57340);
  assert.equal(t.meta.labelNames.length, 15);
  const docsOf = (rows: Row[]) => new Set(rows.map((r) => r.group));
  const [tr, se, re] = [docsOf(t.rows.train), docsOf(t.rows.select), docsOf(t.rows.report)];
  assert.equal(tr.size + se.size + re.size, 500);
  for (const d of re) assert.ok(!tr.has(d) && !se.has(d));
  for (const d of se) assert.ok(!tr.has(d));
  assert.equal(re.size, 100); // round(0.2 × documents) per genre, summed
  const coarse = await readEmbeddedSource(
    "brown-genre",
    taskSpec("brown-genre") as EmbeddedTaskSpec,
    {
      labels: "coarse4",
    },
  );
  assert.deepEqual(coarse.labelNames, ["press", "general_prose", "learned", "fiction"]);
});

Deno.test("brown-genre passages: k consecutive sentences of one document per example", async () => {
  const docs = await loadBrown();
  const spec = taskSpec("brown-genre") as EmbeddedTaskSpec;
  const k = 4;
  const { src, source } = await readEmbeddedSource("brown-genre", spec, { passage: k });
  const expected = docs.reduce((n, d) => n + Math.floor(d.sentences.length / k), 0);
  assert.equal(src.train.length, expected);
  assert.equal(source.passage, k);
  const first = docs[0];
  assert.equal(src.train[0].text_a, first.sentences.slice(0, k).join(" "));
  assert.equal(src.train[0].group, first.id);
  // Without the option, one sentence per example (the default's rows and keys are unchanged).
  const plain = await readEmbeddedSource("brown-genre", spec, {});
  assert.equal(plain.src.train.length, 57340);
  assert.equal("passage" in plain.source, false);
});

Deno.test("brown-same-doc: balanced pairs, positives from one document, splits document-disjoint", async () => {
  const t = await prepare("brown-same-doc");
  assert.deepEqual(t.meta.labelNames, ["different_document", "same_document"]);
  assert.equal(all(t.rows).length, 57340);
  for (const split of ["train", "select", "report"] as const) {
    const rows = t.rows[split];
    const pos = rows.filter((r) => r.label === 1).length;
    assert.ok(Math.abs(2 * pos - rows.length) <= 1, `${split}: ${pos}/${rows.length}`);
    for (const r of rows) {
      const [a, b] = r.group!.split("|");
      assert.equal(a === b, r.label === 1);
      assert.ok(r.text_b !== undefined);
    }
  }
  const docs = (rows: Row[]) => new Set(rows.flatMap((r) => r.group!.split("|")));
  const train = docs(t.rows.train);
  for (const d of docs(t.rows.report)) assert.ok(!train.has(d));
});

Deno.test("brown-same-doc negatives: same genre by default, any other document on request", async () => {
  const genreOf = new Map((await loadBrown()).map((d) => [d.id, d.genre]));
  const crossGenre = (rows: Row[]) =>
    rows.filter((r) => {
      const [a, b] = r.group!.split("|");
      return r.label === 0 && genreOf.get(a) !== genreOf.get(b);
    }).length;
  const same = await prepare("brown-same-doc");
  const any = await prepare("brown-same-doc", 0, "any-document");
  const negatives = any.rows.train.filter((r) => r.label === 0).length;
  // Same-genre negatives cross genres only where a genre has one document in the split.
  assert.ok(crossGenre(same.rows.train) < 0.02 * negatives);
  // Any-document negatives cross genres about as often as two random documents do (~85%).
  assert.ok(crossGenre(any.rows.train) > 0.7 * negatives);
  assert.match(any.meta.splits.train.how, /negatives from any other document/);
});

Deno.test("embedded splits are deterministic by seed", async () => {
  const a = await prepare("spam", 1);
  const b = await prepare("spam", 1);
  const c = await prepare("spam", 2);
  assert.deepEqual(a.rows.select, b.rows.select);
  assert.notDeepEqual(a.rows.select, c.rows.select);
});

Deno.test("nlp-corpus: 100,000 unlabelled sentences from 100 files", async () => {
  const s = await loadNlpCorpus();
  assert.equal(s.length, 100000);
  assert.equal(new Set(s.map((x) => x.doc)).size, 100);
  assert.equal(
    s[0].text,
    "Creakiness and atmosphere this film has, but so unfortunately does the print I just viewed.",
  );
  const t = await prepare("nlp-corpus");
  assert.equal(all(t.rows).length, 100000);
  assert.ok(all(t.rows).every((r) => r.label === -1));
});
