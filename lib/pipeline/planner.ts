/**
 * The planner plug-in: turns the `experiment:` section of the config file into root instance
 * references. The generic engine knows nothing of a particular experiment's schema.
 *
 * @module
 */
import type { z } from "zod";
import type { InstanceRef } from "./stage.ts";

/** A root reference returned by a planner, optionally naming where in the config it came from. */
export interface PlannedRef extends InstanceRef {
  /**
   * Path of the config node this instance comes from, relative to the `experiment:` section
   * (e.g. `["lora", "r", 2]`); used to point parameter errors at a file line.
   */
  origin?: (string | number)[];
  /**
   * Where this root instance's outputs are published, overriding the stage's `publish` (not part
   * of the key), e.g. a per-config report folder from `publishFolder`.
   */
  publish?: string;
}

/** What the engine tells a planner about the config file it plans. */
export interface PlanContext {
  /** The config file's folder: relative paths in the `experiment:` section resolve against it. */
  root: string;
  /** The config file's name without extension (`pipeline`, `a` for `a.yaml`). */
  configName?: string;
  /** True when the config file has the default name (`pipeline.yaml`) in its folder. */
  isDefaultConfig?: boolean;
}

/**
 * The folder a config's reports go to: `base` for the default config, `base/<config name>` for
 * any other, so two configs in one folder never overwrite each other's reports.
 */
export function publishFolder(context: PlanContext | undefined, base: string): string {
  if (!context?.configName || context.isDefaultConfig !== false) return base;
  return `${base}/${context.configName}`;
}

/** Expands a validated `experiment:` section into the root instances of the DAG. */
export interface Planner<E = unknown> {
  /** Schema of the `experiment:` section (use strict objects: unknown keys are errors). */
  schema: z.ZodType<E>;
  /** The root instances; their inputs are expanded recursively by the engine. */
  plan(experiment: E, context?: PlanContext): PlannedRef[];
  /**
   * Lines `run --dry-run` prints about the plan (e.g. grid points dropped because they cannot
   * exist for a model); called after `plan` succeeded.
   */
  notes?(experiment: E, context?: PlanContext): string[];
}

/**
 * An error a planner throws about one place in the `experiment:` section; the CLI prints it as
 * `file:line:col: experiment.<path>: message`.
 */
export class PlanError extends Error {
  constructor(readonly path: (string | number)[], readonly detail: string) {
    super(`experiment.${path.join(".")}: ${detail}`);
  }
}
