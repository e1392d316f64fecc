/**
 * The idim planner: expands the experiment configuration into stage instances and validates it.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { idimPlanner } from "./idim_planner.ts";
