import { describe, expect, it } from 'vitest';
import { robustZ, volumeMinScale } from './anomaly.js';

const logs = (counts: number[]) => counts.map(Math.log);
const z = (rows: number, history: number[]) => robustZ(Math.log(rows), logs(history), volumeMinScale(history.slice().sort((a, b) => a - b)[history.length >> 1]))!;

describe('volume robust z', () => {
  it('falls back to the mean absolute deviation when most past counts are equal (MAD 0): a nearby count is normal, a jump is not', () => {
    const history = [1000, 1000, 1000, 1000, 1000, 1000, 990, 1010, 1000, 1000];
    // Mean absolute deviation of the logs ≈ 0.002, × 1.2533: 1001 rows are 0.4 robust z out, 5000 hundreds.
    expect(robustZ(Math.log(1001), logs(history))).toBeCloseTo(Math.log(1.001) / (1.2533 * (Math.log(1000 / 990) + Math.log(1010 / 1000)) / 10), 9);
    expect(Math.abs(z(1001, history))).toBeLessThan(3.5);
    expect(z(5000, history)).toBeGreaterThan(3.5);
  });

  it('takes the spread of identical past counts as 2% (and one row): a row more is normal, ×2 and ×0.5 are not', () => {
    const same = [72, 72, 72, 72];
    expect(z(73, same)).toBeCloseTo(Math.log(73 / 72) / Math.log(1.02), 9);
    expect(z(73, same)).toBeLessThan(3.5);
    // After one such day the mean deviation alone (≈ 0.35% of the logs) would make the next 73 rows 4 robust z out.
    expect(z(73, [72, 72, 72, 72, 73])).toBeLessThan(3.5);
    expect(z(144, same)).toBeGreaterThan(3.5);
    expect(z(36, same)).toBeLessThan(-3.5);
    // 1,000 rows: up to about 7% either way is normal.
    expect(z(1070, Array(10).fill(1000))).toBeLessThan(3.5);
    expect(z(1080, Array(10).fill(1000))).toBeGreaterThan(3.5);
    expect(z(920, Array(10).fill(1000))).toBeLessThan(-3.5);
    // Ten rows: one row is 10%, the resolution of the count itself (z 1).
    expect(z(11, Array(5).fill(10))).toBeCloseTo(1, 9);
    expect(z(20, Array(5).fill(10))).toBeGreaterThan(3.5);
  });

  it('keeps the MAD when there is one', () => {
    const history = [900, 1000, 1100, 950, 1050];
    const med = Math.log(1000);
    const mad = [900, 1100, 950, 1050, 1000].map((h) => Math.abs(Math.log(h) - med)).sort((a, b) => a - b)[2];
    expect(z(2000, history)).toBeCloseTo((Math.log(2000) - med) / (1.4826 * mad), 9);
  });
});
