/**
 * Provenance of a report: what produced the numbers (the record itself is
 * `lib/results/provenance.ts`), and what can be recovered when it was not recorded.
 *
 * @module
 */
import type { Provenance, ProvenanceInstance } from "../results/mod.ts";

const NOT_RECORDED = "not recorded";

/**
 * The provenance that can be recovered without `provenance.json`: instance keys (from the
 * records' `key` fields), execution providers (from the runs) and the evaluation policy text;
 * everything else is marked "not recorded", and `missing` says so.
 */
export function derivedProvenance(args: {
  instances: ProvenanceInstance[];
  providers: string[];
  policy: string | null;
  reason: string;
}): Provenance {
  return {
    config: { path: NOT_RECORDED, text: `(${args.reason})` },
    code: { describe: NOT_RECORDED, commit: NOT_RECORDED, dirty: false },
    instances: args.instances,
    hardware: { cpuModel: NOT_RECORDED, cores: 1, memoryGiB: 0 },
    executionProvider: args.providers.length > 0 ? args.providers.join(", ") : NOT_RECORDED,
    evaluationPolicy: {
      selectSplit: args.policy ?? NOT_RECORDED,
      reportSplit: args.policy === null ? NOT_RECORDED : "see the selection policy above",
      lrSelection: args.policy === null ? NOT_RECORDED : "see the selection policy above",
      seeds: NOT_RECORDED,
    },
    referenceBaselines: [],
    missing: `${args.reason}: the config, the code version and the hardware were not ` +
      "recorded; instance keys and execution providers are taken from the result records.",
  };
}

/** True when the hardware block holds real values (not a derived placeholder). */
export function hardwareRecorded(p: Provenance): boolean {
  return p.hardware.cpuModel !== NOT_RECORDED;
}
