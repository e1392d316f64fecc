/**
 * One matrix's spectrum record from its ΔW: singular values, effective ranks at 50/90/99% of the
 * energy, stable rank, ‖ΔW‖_F and ‖ΔW‖_F / ‖W0‖_F.
 *
 * @module
 */
import type { MatrixSpectrum } from "../results/mod.ts";
import { effectiveRank, frobeniusNorm, stableRank } from "./energy.ts";
import type { MatrixSlot } from "./matrices.ts";
import { type DenseMatrix, singularValues } from "./singular_values.ts";

/** Significant digits kept of each singular value in the record. */
const DIGITS = 7;

/** The spectrum record of `slot`'s update `delta`, given ‖W0‖_F of the pretrained matrix. */
export function measureMatrix(
  slot: MatrixSlot,
  delta: DenseMatrix,
  pretrainedNorm: number,
): MatrixSpectrum {
  const sigma = singularValues(delta);
  const frobenius = frobeniusNorm(delta.data);
  return {
    layer: slot.layer,
    type: slot.type,
    name: `${slot.prefix}.weight`,
    shape: [delta.rows, delta.cols],
    singularValues: Array.from(sigma, (s) => Number(s.toPrecision(DIGITS))),
    effectiveRank: {
      e50: effectiveRank(sigma, 0.5),
      e90: effectiveRank(sigma, 0.9),
      e99: effectiveRank(sigma, 0.99),
    },
    stableRank: stableRank(sigma),
    frobenius,
    relativeFrobenius: pretrainedNorm > 0 ? frobenius / pretrainedNorm : 0,
  };
}
