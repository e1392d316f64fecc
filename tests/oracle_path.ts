/**
 * Where the oracle fixtures are: `../shared/oracle/` beside the repository, resolved from this
 * file rather than the working directory (tests that change directory run in parallel).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Absolute path of `../shared/oracle` (no trailing slash). */
export const ORACLE = fileURLToPath(new URL("../../shared/oracle", import.meta.url));
