/**
 * The learning rates of one sweep point: a method section's `lr` is a fixed list, or a rule
 * whose grid moves with the size (d or r), and the edge extension's extra lrs beyond each end.
 *
 * Rule `{ center, at, slope, factor, count }`: the centre lr at size s is
 * `center · (s / at)^slope`, and the grid is `count` lrs spaced by `factor` around it,
 * `centre · factor^(k − (count − 1)/2)` for k = 0 … count − 1 (full fine-tuning has no size:
 * its centre is `center`). Every lr is rounded to 3 significant digits, so keys are stable.
 *
 * Extension (`experiment.lr_extend`, n steps per side): below the lowest lr, `lowest / f^i`, and
 * above the highest, `highest · f^i`, i = 1 … n, where f is the rule's `factor`, or for a fixed
 * list the ratio of the two lrs at that end (a one-lr list has no factor, so no extension).
 *
 * @module
 */

/** The rule form of a method's `lr`. */
export interface LrRule {
  center: number;
  at: number;
  slope: number;
  factor: number;
  count: number;
}

/** A method's `lr`: a fixed list or a rule. */
export type LrSpec = number[] | LrRule;

/** Rounds to 3 significant digits. */
export function roundLr(lr: number): number {
  return Number(lr.toPrecision(3));
}

/** The lr grid of one point (sorted ascending for a rule; a list as given). */
export function lrGridFor(spec: LrSpec, size: number | undefined): number[] {
  if (Array.isArray(spec)) return spec;
  const centre = spec.center * ((size ?? spec.at) / spec.at) ** spec.slope;
  return Array.from(
    { length: spec.count },
    (_, k) => roundLr(centre * spec.factor ** (k - (spec.count - 1) / 2)),
  );
}

/** The extension lrs beyond each end of `lrs` (empty lists when steps is 0 or no factor). */
export function extensionLrs(
  spec: LrSpec,
  lrs: readonly number[],
  steps: number,
): { low: number[]; high: number[] } {
  const sorted = [...lrs].sort((a, b) => a - b);
  const n = sorted.length;
  const lowFactor = Array.isArray(spec) ? (n >= 2 ? sorted[1] / sorted[0] : 0) : spec.factor;
  const highFactor = Array.isArray(spec)
    ? (n >= 2 ? sorted[n - 1] / sorted[n - 2] : 0)
    : spec.factor;
  const side = (from: number, f: number, dir: 1 | -1) =>
    f > 1 ? Array.from({ length: steps }, (_, i) => roundLr(from * f ** (dir * (i + 1)))) : [];
  return { low: side(sorted[0], lowFactor, -1), high: side(sorted[n - 1], highFactor, 1) };
}
