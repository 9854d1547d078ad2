/**
 * The class reference of the class imbalance check across runs, on real DuckDB windows and a real SQLite state db:
 * a run whose class check failed (a class vanished, warn policy: the run ends `warned`) is not what later runs'
 * classes are compared with, or the next run that lost the same class would pass the comparison.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

// late is 'true' on a quarter of the rows before 2024-01-08 and never after: every window from then on lost a class.
const SOURCE = `SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
  TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created,
  CASE WHEN i < 24 * 7 AND hash(i) % 4 = 0 THEN 'true' ELSE 'false' END AS late FROM range(24 * 31) r(i)`;

describe('class imbalance reference', () => {
  it('two one-class runs in a row both fail: the first one, which failed, is not the second one\'s class reference', async () => {
    bench = await guardBench({ role: 'label', features: [{ name: 'late', type: 'string' }] });
    await bench.writeSource(SOURCE);
    const good = await bench.runWindow('2024-01-01', '2024-01-08');
    expect(pick(good, 'class_imbalance')[0].status).toBe('pass');
    const lost1 = await bench.runWindow('2024-01-08', '2024-01-15');
    const lost2 = await bench.runWindow('2024-01-15', '2024-01-22');
    for (const g of [lost1, lost2]) {
      const [r] = pick(g, 'class_imbalance');
      expect([r.status, r.message], JSON.stringify(r)).toEqual(['fail', expect.stringContaining("class 'true' of the reference vanished")]);
      expect(r.details).toMatchObject({ vanished: ['true'], reference: `run:${good.runId}` });
      // Both runs end warned (class policy warn), so both are drift's `previous` reference in turn.
      expect(g.verdict).toBe('warn');
    }
    // Drift still compares with the previous run, whatever its class check said.
    expect(pick(lost2, 'drift', undefined, 'late')[0].details).toMatchObject({ reference: `run:${lost1.runId}` });
  });

  it('one class present: imbalance ratio and minority share are null and the message says only one class is present', async () => {
    bench = await guardBench({ role: 'label', features: [{ name: 'late', type: 'string' }] });
    await bench.writeSource(SOURCE);
    const [r] = pick(await bench.runWindow('2024-01-08', '2024-01-15'), 'class_imbalance');
    expect(r.status).toBe('warn');
    expect(r.value).toBeNull();
    // No minority: the only class's count as minority_count would read as a minority of all the rows. Normalised
    // entropy (1 − H/ln K) is 1, a single class, as documented.
    expect(r.metrics).toEqual({ classes: 1, imbalance_ratio: null, minority_share: null, minority_count: null, normalized_entropy: 1, vanished_classes: 0 });
    expect(r.details).toMatchObject({ counts: { false: 168 } });
    expect(r.message).toMatch(/^late: only one class \('false'\) is present/);
    expect(r.message).not.toMatch(/IR 1|minority 'false' 100/);
  });

  it('one class under min_class_count: the failure names the only class, not a minority', async () => {
    bench = await guardBench({ role: 'label', features: [{ name: 'late', type: 'string' }] });
    await bench.writeSource(SOURCE);
    const [r] = pick(await bench.runWindow('2024-01-08', '2024-01-09'), 'class_imbalance');
    expect(r.status).toBe('fail');
    expect(r.message).toBe("late: the only class 'false' has 24 rows < 30; only one class ('false') is present (1 class, 24 rows: no imbalance ratio or minority share)");
    expect(r.metrics).toMatchObject({ minority_count: null, normalized_entropy: 1 });
  });
});
