/**
 * The compute estimate of a training run, before anything is downloaded: the model's shape
 * from its reference (`lib/models/compute.ts`), the row counts of the task's splits from the
 * public dataset sizes below (or the config's subsample sizes), and the run's schedule.
 *
 * @module
 */
import { formatCount, matmulParams, runFlops, shapeOfModelRef } from "../models/mod.ts";
import { sizeOf, type TrainParams } from "./run_config.ts";
import { runSeconds } from "./step_times.ts";

/** Rows of (train, validation) of the study's datasets, as published. */
export const DATASET_ROWS: Record<string, [number, number]> = {
  mrpc: [3668, 408],
  sst2: [67349, 872],
  qqp: [363846, 40430],
  anli: [162865, 3200],
  "anli-r1": [16946, 1000],
  "anli-r2": [45460, 1000],
  "anli-r3": [100459, 1200],
  spam: [6046 * 0.8, 6046 * 0.2],
  "brown-genre": [57340 * 0.8, 57340 * 0.2],
  "brown-same-doc": [20000, 4000],
};

type Ref = { kind: string; params: Record<string, unknown> };

/** A run's compute estimate: its floating-point operations and what they assume. */
export interface Estimate {
  flops: number;
  note?: string;
  /** Seconds on a device, from a measured step time scaled by FLOPs (`step_times.ts`). */
  seconds?(device: string): { seconds: number; basis: string } | undefined;
}

/** Rows of the train, select and report splits of a tokenize instance's dataset. */
export function splitRows(data: Ref): { train: number; select: number; report: number } {
  const ds = (data.params.dataset ?? {}) as Ref;
  const p = ds.params ?? {};
  const [train0, valid0] = DATASET_ROWS[String(p.task)] ?? [10000, 1000];
  const fraction = typeof p.select_fraction === "number" ? p.select_fraction : 0.1;
  const holdout = p.policy !== "validation";
  const select0 = holdout ? train0 * fraction : valid0;
  const num = (v: unknown, dflt: number) => (typeof v === "number" ? v : dflt);
  return {
    train: num(p.n_train, holdout ? train0 - select0 : train0),
    select: num(p.n_select, select0),
    report: num(p.n_report, valid0),
  };
}

/** FLOPs of one planned training run, or undefined when the model's shape is unknown. */
export function estimateTrainRun(p: TrainParams): Estimate | undefined {
  const graphs = p.graphs.params as Record<string, unknown>;
  const shape = shapeOfModelRef(graphs.model as Ref);
  if (!shape) return undefined;
  const batch = Number(graphs.batch);
  const seq = Number(graphs.seq);
  const rows = splitRows(p.data as Ref);
  const steps = p.steps ?? Math.ceil(((p.epochs ?? 1) * rows.train) / batch);
  const run = {
    shape,
    method: p.method,
    size: sizeOf(p) ?? undefined,
    batch,
    seq,
    steps,
    evals: Math.ceil(steps / p.evalEvery),
    evalRows: rows.select + rows.report,
  };
  const flops = runFlops(run);
  return {
    flops,
    seconds: (device) => runSeconds(run, device),
    note: `${steps} steps × ${batch}×${seq} tokens, ${formatCount(matmulParams(shape))} ` +
      `matmul params`,
  };
}
