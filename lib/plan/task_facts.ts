/**
 * What idim knows about a configured task before anything runs: its label count and, for the
 * datasets it knows, how many examples they hold (a bound for `n_train` and the batch size).
 *
 * @module
 */
import { TASKS, taskSpec } from "../data/mod.ts";

/** Number of labels of a configured task. */
export function numLabels(dataset: string, labels?: string): number {
  const spec = taskSpec(dataset);
  if (spec.source === "hub") return spec.labelNames.length;
  if (dataset === "brown-genre") return labels === "coarse4" ? 4 : 15;
  if (dataset === "spam" && labels === "source") return 5;
  return 2;
}

/**
 * Examples in each known dataset, all splits idim reads together (train and validation for the
 * Hub tasks; the whole source for the embedded ones, which idim splits itself). A role split
 * (`n_train`, `n_select`, `n_report`) can never hold more. brown-same-doc subsamples sentences
 * before pairing them, so its bound is the sentence count.
 */
const DATASET_EXAMPLES: Record<string, number> = {
  mrpc: 3668 + 408,
  sst2: 67349 + 872,
  qqp: 363846 + 40430,
  "anli-r1": 16946 + 1000,
  "anli-r2": 45460 + 1000,
  "anli-r3": 100459 + 1200,
  anli: 16946 + 45460 + 100459 + 1000 + 1000 + 1200,
  spam: 6046,
  "brown-genre": 57340,
  "brown-same-doc": 57340,
};

/** Whether idim knows a dataset by this name. */
export function isKnownDataset(dataset: string): boolean {
  return dataset in TASKS && dataset !== "nlp-corpus";
}

/**
 * How many examples a task's dataset holds, when known: not for a dataset read from another
 * repository or config (`repo` / `config` overrides) than the one idim knows.
 */
export function datasetExamples(
  dataset: string,
  overrides: { repo?: string; config?: string } = {},
): number | undefined {
  if (overrides.repo !== undefined || overrides.config !== undefined) return undefined;
  return DATASET_EXAMPLES[dataset];
}
