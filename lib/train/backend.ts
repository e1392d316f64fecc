/**
 * The seam between a training stage and the machinery that computes steps: a backend opens the
 * upstream artifacts (exported graphs, tokenized data) for one run and returns a stepper, an
 * evaluator and what the result record needs to know about them. The ONNX Runtime backend is
 * `onnx_backend.ts`; tests substitute small fakes.
 *
 * @module
 */
import type { Evaluate, TrainStepper } from "./train_loop.ts";
import type { TrainParams } from "./run_config.ts";

/** A run opened by a backend. */
export interface OpenedRun {
  stepper: TrainStepper;
  evaluate: Evaluate;
  /** Number of training examples. */
  trainSize: number;
  /** Examples per step the graphs were built for (null: any). */
  batchSize: number | null;
  trainableParams: number;
  /** Total parameters of the model (for the size-scaling plot), when known. */
  modelParams?: number;
  /** The task's primary metric (e.g. `accuracy`, `f1`). */
  metric: string;
  /** Execution provider that runs the graphs. */
  provider: string;
  /** Names of the trainable tensors in the stepper's state (the rest: optimizer state). */
  trainable?: string[];
  /** Extra facts recorded in the run's config (max length, label count, graph hash, ...). */
  facts?: Record<string, unknown>;
  /** Releases sessions and buffers. */
  close(): Promise<void> | void;
}

/** What a backend is given to open one run. */
export interface OpenRequest {
  params: TrainParams;
  /** Directory of the exported-graphs artifact. */
  graphsDir: string;
  /** Directory of the tokenized-data artifact. */
  dataDir: string;
  /** Total optimizer steps and warm-up steps (they drive the schedule). */
  schedule: (trainSize: number, batchSize: number) => { steps: number; warmupSteps: number };
  device: string;
  log(message: string): void;
}

/** Opens one training run's resources. */
export type Backend = (req: OpenRequest) => Promise<OpenedRun>;
