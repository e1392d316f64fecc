/**
 * The generic pipeline engine: CLI, planner and executor plug-in contracts, built-in executors. Stages import the plug-in contract `stage.ts` instead of this module.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { inprocessExecutor, localExecutor } from "./builtin_executors.ts";
export { main, routeArgs } from "./cli.ts";
export { describeValue, validateSection } from "./config.ts";
export {
  defineExecutor,
  EVENT_PREFIX,
  type Executor,
  type ExecutorFlag,
  type ExecutorPlugin,
  instanceCommand,
  instanceLogPath,
  type InstanceResult,
  PipelineError,
  readInstanceResult,
  type Task,
  type TaskEvents,
  type TaskOutcome,
  writeFileAtomic,
} from "./executor_plugin.ts";
export { PlanError, type PlannedRef, type Planner, publishFolder } from "./planner.ts";
export { type Output } from "./progress.ts";
