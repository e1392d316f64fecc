/**
 * Accuracy vs LoRA rank r (log x), per model variant and task, with the 90% target and r90
 * marked.
 *
 * @module
 */
import type { Chart } from "./common.ts";
import { sizeCurveChart, type SizeCurveInput } from "./size_curve.ts";

/** Builds the accuracy-vs-r chart. */
export function accuracyVsRChart(input: SizeCurveInput): Chart {
  return sizeCurveChart(
    "accuracy_vs_r",
    "Accuracy vs LoRA rank r",
    input,
    ["lora"],
    "r90",
    "LoRA rank r (log scale)",
  );
}
