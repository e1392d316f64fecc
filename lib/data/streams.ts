/**
 * Stream ids of the data stage's PRNG draws (`new Prng(seed, STREAMS.x)`), so that the
 * different random choices made from one data seed are independent.
 *
 * @module
 */

/** Stream ids, so that different uses of one seed draw independent numbers. */
export const STREAMS = {
  select: 1,
  report: 2,
  subsample: 3,
  pairs: 4,
} as const;
