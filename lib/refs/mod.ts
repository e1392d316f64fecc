/**
 * The schema of a reference to an upstream stage instance inside another instance's parameters.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { type InstanceRef, instanceRefSchema } from "./instance_ref.ts";
