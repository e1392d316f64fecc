/**
 * The evaluation policy: which rows train a model, which rows choose its hyperparameters
 * (learning rate, the 90% threshold's reference run), and which rows give the reported number.
 *
 * GLUE hides its test labels, so numbers are reported on the validation split (ANLI: the dev
 * rounds). Policies:
 *
 * - `holdout` (default): `select` is a seeded, label-stratified slice of train (`selectFraction`,
 *   default 0.1), `train` is the rest, `report` is validation. Nothing reported was used for
 *   tuning.
 * - `validation`: `train` is all of train, `select` = `report` = validation, as many papers do;
 *   the reported number is then tuned on the split it is reported on (the report says so).
 *
 * Tasks without an official validation split (the embedded ones) first carve `report` out of
 * their data (`reportFraction`, default 0.2), by document where rows carry a document `group`.
 * `nTrain` / `nSelect` / `nReport` then subsample each split (seeded, label-stratified), for
 * quick runs and QQP's 364k pairs.
 *
 * @module
 */
import { Prng, shuffled } from "../random/mod.ts";
import { STREAMS } from "./streams.ts";
import type { EvaluationPolicyRecord, RoleSplit, Row, SplitProvenance } from "./schema.ts";
import { labelCounts } from "./schema.ts";

/** Policy names. */
export type PolicyName = "holdout" | "validation";

/** A configured evaluation policy. */
export interface EvaluationPolicy {
  name: PolicyName;
  seed: number;
  /** Fraction of train held out as `select` under `holdout`. Default 0.1. */
  selectFraction?: number;
  /** Fraction held out as `report` when the source has no validation split. Default 0.2. */
  reportFraction?: number;
  nTrain?: number | null;
  nSelect?: number | null;
  nReport?: number | null;
  /** Hold out whole groups (e.g. documents) instead of rows. */
  byGroup?: boolean;
}

/** The task's source data, by original split. */
export interface SourceSplits {
  train: Row[];
  trainFrom: string[];
  /** Absent for tasks with no official validation split. */
  validation?: Row[];
  validationFrom?: string[];
}

/** Role splits with their provenance. */
export interface PreparedSplits {
  rows: Record<RoleSplit, Row[]>;
  provenance: Record<RoleSplit, SplitProvenance>;
  policy: EvaluationPolicyRecord;
}

const DESCRIPTIONS: Record<PolicyName, string> = {
  holdout: "learning rates and thresholds selected on a seeded held-out slice of train; " +
    "numbers reported on the validation split, which was not used for any choice",
  validation: "learning rates and thresholds selected on the validation split, which is also " +
    "the reported split (tuned on the split it is reported on)",
};

/**
 * Splits `rows` into (kept, heldOut) with `fraction` of each label held out (or of each label's
 * groups, with `byGroup`). Both keep the original row order.
 */
export function stratifiedHoldout(
  rows: readonly Row[],
  fraction: number,
  rand: Prng,
  byGroup = false,
): [Row[], Row[]] {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new Error(`holdout fraction must be in [0, 1), got ${fraction}`);
  }
  const held = new Set<number>();
  const units = new Map<number, number[][]>(); // label → units (lists of row indices)
  if (byGroup) {
    const groups = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const g = r.group ?? `#${i}`;
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(i);
    });
    for (const idx of groups.values()) {
      const label = rows[idx[0]].label;
      if (!units.has(label)) units.set(label, []);
      units.get(label)!.push(idx);
    }
  } else {
    rows.forEach((r, i) => {
      if (!units.has(r.label)) units.set(r.label, []);
      units.get(r.label)!.push([i]);
    });
  }
  for (const label of [...units.keys()].sort((a, b) => a - b)) {
    const list = shuffled(units.get(label)!, rand);
    const k = Math.round(fraction * list.length);
    for (const unit of list.slice(0, k)) for (const i of unit) held.add(i);
  }
  const kept: Row[] = [];
  const out: Row[] = [];
  rows.forEach((r, i) => (held.has(i) ? out : kept).push(r));
  return [kept, out];
}

/** A seeded, label-stratified subsample of `n` rows (all rows when n is null or ≥ length). */
export function stratifiedSubsample(
  rows: readonly Row[],
  n: number | null | undefined,
  rand: Prng,
): Row[] {
  if (n === null || n === undefined || n >= rows.length) return rows.slice();
  if (!Number.isInteger(n) || n < 1) throw new Error(`subsample size must be a positive integer`);
  const [, taken] = stratifiedHoldout(rows, n / rows.length, rand);
  return taken;
}

/** Applies the policy to a task's source splits. */
export function applyPolicy(
  src: SourceSplits,
  policy: EvaluationPolicy,
  nLabels: number,
): PreparedSplits {
  const selectFraction = policy.selectFraction ?? 0.1;
  const reportFraction = policy.reportFraction ?? 0.2;
  let train = src.train;
  let trainFrom = src.trainFrom;
  let report: Row[];
  let reportHow = "all";
  let reportFrom: string[];
  if (src.validation) {
    report = src.validation;
    reportFrom = src.validationFrom ?? ["validation"];
  } else {
    [train, report] = stratifiedHoldout(
      src.train,
      reportFraction,
      new Prng(policy.seed, STREAMS.report),
      policy.byGroup,
    );
    reportFrom = src.trainFrom;
    trainFrom = src.trainFrom;
    reportHow = `holdout ${reportFraction}${policy.byGroup ? " by group" : ""}`;
  }
  let select: Row[];
  let selectHow: string;
  let selectFrom: string[];
  if (policy.name === "holdout") {
    [train, select] = stratifiedHoldout(
      train,
      selectFraction,
      new Prng(policy.seed, STREAMS.select),
      policy.byGroup,
    );
    selectHow = `holdout ${selectFraction}${policy.byGroup ? " by group" : ""}`;
    selectFrom = trainFrom;
  } else {
    select = report;
    selectHow = "same rows as report";
    selectFrom = reportFrom;
  }
  const sub = new Prng(policy.seed, STREAMS.subsample);
  const trainAll = train.length;
  train = stratifiedSubsample(train, policy.nTrain, sub);
  const selectAll = select.length;
  select = stratifiedSubsample(select, policy.nSelect, sub);
  const reportAll = report.length;
  report = policy.name === "validation" && policy.nSelect === policy.nReport
    ? select
    : stratifiedSubsample(report, policy.nReport, sub);
  const prov = (rows: Row[], from: string[], how: string, all: number): SplitProvenance => ({
    from,
    how: rows.length < all ? `${how}, subsample ${rows.length}/${all}` : how,
    rows: rows.length,
    labelCounts: labelCounts(rows, nLabels),
  });
  return {
    rows: { train, select, report },
    provenance: {
      train: prov(train, trainFrom, src.validation ? "all" : "remainder", trainAll),
      select: prov(select, selectFrom, selectHow, selectAll),
      report: prov(report, reportFrom, reportHow, reportAll),
    },
    policy: {
      name: policy.name,
      description: DESCRIPTIONS[policy.name],
      seed: policy.seed,
      selectFraction,
      ...(src.validation ? {} : { reportFraction }),
      nTrain: policy.nTrain ?? null,
      nSelect: policy.nSelect ?? null,
      nReport: policy.nReport ?? null,
    },
  };
}
