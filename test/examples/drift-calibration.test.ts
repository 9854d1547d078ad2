/**
 * The flights example's route_daily ships the drift thresholds the guard accuracy bench calibrates on clean flights
 * (test/bench/guards-accuracy.ts: `CALIBRATION` × the largest clean day-to-day value, rounded up to 0.05, never
 * below the default), as RESULTS.md publishes them: if the bench is re-run and its calibration moves, or the rule
 * changes, this fails until the example's views follow (and the README's figures with them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { calibrated } from '../bench/guards-accuracy.js';
import { DEFAULT_QUALITY } from '../../src/guards/config.js';

const root = join(import.meta.dirname, '..', '..');

/** The last calibration RESULTS.md publishes for the accuracy bench. */
function published(): { distance: number; psi_fail: number; largest: { distance: number; psi: number } } {
  const text = readFileSync(join(root, 'test', 'bench', 'RESULTS.md'), 'utf8');
  const all = [...text.matchAll(/distance \*\*([\d.]+)\*\* \(largest ([\d.]+)\), psi_fail \*\*([\d.]+)\*\* \(largest ([\d.]+)\)/g)];
  expect(all.length, 'RESULTS.md names the calibrated thresholds').toBeGreaterThan(0);
  const m = all[all.length - 1];
  return { distance: Number(m[1]), psi_fail: Number(m[3]), largest: { distance: Number(m[2]), psi: Number(m[4]) } };
}

function viewDrift(file: string): Record<string, unknown> | undefined {
  const docs = parseAllDocuments(readFileSync(join(root, 'examples', 'flights', 'features', file), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  const view = docs.find((d) => d.kind === 'feature_view')!;
  return (view.quality as { drift?: Record<string, unknown> } | undefined)?.drift;
}

describe('drift thresholds of the flights example', () => {
  it('are the bench calibration, which follows its own rule', () => {
    const p = published();
    // RESULTS.md prints the largest values to 3 decimals (psi 0.240 may be 0.2401, whose 1.25 × rounds up to 0.35).
    const within = (largest: number, floor: number, threshold: number) => {
      expect(calibrated(largest - 0.0005, floor)).toBeLessThanOrEqual(threshold);
      expect(calibrated(largest + 0.0005, floor)).toBeGreaterThanOrEqual(threshold);
    };
    within(p.largest.distance, DEFAULT_QUALITY.drift.distance, p.distance);
    within(p.largest.psi, DEFAULT_QUALITY.drift.psi_fail, p.psi_fail);
    expect(viewDrift('route_daily.yaml')).toEqual({ distance: p.distance, psi_fail: p.psi_fail });
    // The guards demo (guards-demo.sh, test/examples/guards-demo.test.ts) shows airport_hourly drifting from a
    // January baseline at the defaults (normed Wasserstein 0.25 in June 11-17, under the calibrated 0.45).
    expect(viewDrift('airport_hourly.yaml')).toBeUndefined();
  });
});
