/**
 * The deterministic, seedable pseudo-random generator shared by data order, initialization and statistics.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { Prng, type PrngState, shuffled } from "./prng.ts";
