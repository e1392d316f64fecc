/**
 * The result records that cross a stage boundary, as types (each defined once, by its schema,
 * in the module that also names its file and reads and writes it).
 *
 * @module
 */
export type { Method, SweepMethod } from "./methods.ts";
export type { EvalPoint, Metrics, RunResult } from "./run_result.ts";
export type { PointResult } from "./point_result.ts";
export type { ThresholdResult } from "./threshold_result.ts";
export type { CollectedPoint, CollectedResults, CollectedThreshold } from "./collected.ts";
export type { Provenance, ProvenanceInstance } from "./provenance.ts";
export type { DeltaSpectrum, MatrixSpectrum, RunSpectrum } from "./delta_spectrum.ts";
