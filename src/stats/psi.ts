/**
 * Population Stability Index over binned counts (QUALITY-CHECKS.md: reference
 * decile bins, empty-bin shares floored at 1e-4, natural log).
 */
import { InputError } from '../errors.js';

/** Share used for an empty bin so that the log stays finite (Evidently's 0.0001). */
export const PSI_EMPTY_SHARE = 1e-4;

/**
 * PSI = Σ (r_i − c_i) · ln(r_i / c_i) over bins, where r and c are the reference
 * and current shares of each bin; an empty bin's share is replaced by 1e-4, as
 * Evidently does. Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, ≥ 0.25 major shift.
 * NaN when a count is NaN or a side has no counts.
 *
 * @example
 * import { psi } from 'featureguard/stats';
 * psi([10, 20, 30, 40], [20, 20, 30, 30]); // 0.0980829...
 */
export function psi(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): number {
  if (refCounts.length !== curCounts.length) {
    throw new InputError(`psi: ${refCounts.length} reference bins but ${curCounts.length} current bins`);
  }
  let sr = 0;
  let sc = 0;
  for (let i = 0; i < refCounts.length; i++) {
    sr += refCounts[i];
    sc += curCounts[i];
  }
  if (sr === 0 || sc === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < refCounts.length; i++) {
    // Only an empty bin's share is floored: `share || 1e-4` also replaced a NaN share (a NaN count), which hid it.
    const r = floorEmpty(refCounts[i] / sr);
    const c = floorEmpty(curCounts[i] / sc);
    total += (r - c) * Math.log(r / c);
  }
  return total;
}

const floorEmpty = (share: number): number => (share === 0 ? PSI_EMPTY_SHARE : share);
