/**
 * Builds every chart of the report, in order.
 *
 * @module
 */
import type { PointResult, ThresholdResult } from "../../results/mod.ts";
import type { Analysis } from "../analysis.ts";
import { accuracyVsDChart } from "./accuracy_vs_d.ts";
import { accuracyVsRChart } from "./accuracy_vs_r.ts";
import type { Chart } from "./common.ts";
import { d90VsPretrainStepsChart } from "./d90_vs_pretrain_steps.ts";
import { d90VsR90Chart } from "./d90_vs_r90.ts";
import { thresholdVsParamsChart } from "./threshold_vs_params.ts";

export { type Chart, CHART_NAMES, type ChartName, type ChartSpec } from "./common.ts";

/** The report's charts (always the five of `CHART_NAMES`; an empty one says why). */
export function buildCharts(
  points: PointResult[],
  thresholds: ThresholdResult[],
  analysis: Analysis,
): Chart[] {
  const input = { points, thresholds, statistic: analysis.statistic };
  return [
    accuracyVsDChart(input),
    accuracyVsRChart(input),
    d90VsR90Chart(analysis),
    thresholdVsParamsChart(analysis),
    d90VsPretrainStepsChart(thresholds, analysis.statistic),
  ];
}
