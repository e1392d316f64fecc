/**
 * Accuracy vs subspace dimension d (log x), per model variant and task, for DID and SAID,
 * with the 90% target and d90 marked.
 *
 * @module
 */
import type { Chart } from "./common.ts";
import { sizeCurveChart, type SizeCurveInput } from "./size_curve.ts";

/** Builds the accuracy-vs-d chart. */
export function accuracyVsDChart(input: SizeCurveInput): Chart {
  return sizeCurveChart(
    "accuracy_vs_d",
    "Accuracy vs subspace dimension d",
    input,
    ["did", "said"],
    "d90",
    "subspace dimension d (log scale)",
  );
}
