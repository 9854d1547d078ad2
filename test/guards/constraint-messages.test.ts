/**
 * A constraint failure states its bound, how many rows broke it, what was seen (min and max, example values).
 * Real DuckDB tables and a real state database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe('a constraint failure states its bound and what was seen', () => {
  it('range: the interval, the rows outside it, the observed min and max, and example values', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64', min: 0, max: 1 }, { name: 'carrier', type: 'string' }] });
    // Hours 0-4 keep a share in [0, 1]; the other hours are percentages (0 to 100 by the hour).
    const g = await bench.runWindow('2024-01-01', '2024-01-03', { transform: 'SELECT * REPLACE (CASE WHEN hour(event_timestamp) < 5 THEN hour(event_timestamp) / 4.0 ELSE hour(event_timestamp) * 4.0 END AS delay) FROM w' });
    const [row] = (await bench.conn.runAndReadAll(`SELECT count(*) FILTER (WHERE hour(event_timestamp) >= 5) AS bad, count(*) AS n FROM w`)).getRowObjectsJson() as { bad: string; n: string }[];
    const [range] = pick(g, 'schema', 'range', 'delay');
    expect(range.status).toBe('fail');
    expect(range.message).toBe(`delay outside [0, 1] in ${row.bad} of ${row.n} rows (min 0, max 92)`);
    const examples = range.details!.examples as { value: unknown; rows: number }[];
    expect(examples.length).toBe(5);
    expect(examples.every((e) => typeof e.value === 'number' && (e.value as number) > 1 && e.rows === 2)).toBe(true);
    expect(range.details).toMatchObject({ constraint: { min: 0, max: 1, strict: false } });
    expect(g.blockedReason).toMatch(/^schema\.range: delay outside \[0, 1\] in \d+ of \d+ rows/);
  });

  it('other kinds name their bound: allowed values, pattern, length, not null, null ratio', async () => {
    bench = await guardBench({ features: [
      { name: 'delay', type: 'float64', max_null_ratio: 0.1 },
      { name: 'carrier', type: 'string', allowed_values: ['AA', 'UA', 'DL'], pattern: '^[A-Z]{2}$', min_length: 2, max_length: 2, nullable: false },
    ] });
    const g = await bench.runWindow('2024-01-01', '2024-01-03', {
      transform: "SELECT * REPLACE (CASE WHEN hour(event_timestamp) = 3 THEN NULL WHEN hour(event_timestamp) = 4 THEN 'xyz' ELSE carrier END AS carrier, CASE WHEN hour(event_timestamp) < 6 THEN NULL ELSE delay END AS delay) FROM w",
    });
    const one = (m: string, f: string) => pick(g, 'schema', m, f)[0];
    const [row] = (await bench.conn.runAndReadAll(`SELECT count(*) FILTER (WHERE carrier = 'WN' AND hour(event_timestamp) NOT IN (3, 4)) AS wn, count(*) AS n FROM w`)).getRowObjectsJson() as { wn: string; n: string }[];
    const n = Number(row.n);
    expect(one('allowed_values', 'carrier').message).toBe(`carrier not in ['AA', 'UA', 'DL'] in ${Number(row.wn) + 2} of ${n - 2} non-null values (seen: 'WN' ×${row.wn}, 'xyz' ×2)`);
    expect(one('pattern', 'carrier').message).toBe(`carrier does not match pattern '^[A-Z]{2}$' in 2 of ${n - 2} non-null values (seen: 'xyz' ×2)`);
    expect(one('length', 'carrier').message).toBe(`carrier length outside [2, 2] in 2 of ${n - 2} non-null values (seen: 'xyz' ×2)`);
    expect(one('not_null', 'carrier').message).toBe(`carrier is null in 2 of ${n} rows (nullable: false)`);
    expect(one('max_null_ratio', 'delay').message).toBe(`delay is null in 12 of ${n} rows: null ratio 0.25 > max_null_ratio 0.1`);
    expect(one('allowed_values', 'carrier').details).toMatchObject({ examples: [{ value: 'WN', rows: Number(row.wn) }, { value: 'xyz', rows: 2 }] });
  });

  it('with mostly: the ratio that decided; personal data: examples hashed, an email lookalike masked', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64', max: 14, mostly: 0.5 }, { name: 'carrier', type: 'string', pattern: '^[A-Z]{2}$' }] });
    const g = await bench.runWindow('2024-01-01', '2024-01-08', { transform: "SELECT * REPLACE (CASE WHEN hour(event_timestamp) = 3 THEN 'ann@example.com' ELSE carrier END AS carrier) FROM w" });
    const [row] = (await bench.conn.runAndReadAll('SELECT count(*) FILTER (WHERE delay > 14) AS v, count(*) AS n, min(delay) AS lo, max(delay) AS hi FROM w')).getRowObjectsJson() as { v: string; n: string; lo: number; hi: number }[];
    const [range] = pick(g, 'schema', 'range', 'delay');
    expect(range.status).toBe('pass');
    expect(range.message).toBe(`delay above 14 in ${row.v} of ${row.n} rows (min ${row.lo}, max ${row.hi}; pass ratio ${Math.round(((Number(row.n) - Number(row.v)) / Number(row.n)) * 1e6) / 1e6} >= mostly 0.5)`);
    expect(range.details).toMatchObject({ observed: { min: row.lo, max: row.hi } });
    const [pattern] = pick(g, 'schema', 'pattern', 'carrier');
    expect(pattern.message).toBe(`carrier does not match pattern '^[A-Z]{2}$' in 7 of ${row.n} rows (seen: 'anx@xxxxxxx.xom' ×7)`);
    expect(JSON.stringify(pattern)).not.toContain('ann@example.com');
    await bench.close();

    bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string', pii: true, allowed_values: ['AA', 'UA', 'DL'] }] });
    const [allowed] = pick(await bench.runWindow('2024-01-01', '2024-01-08'), 'schema', 'allowed_values', 'carrier');
    expect(allowed.status).toBe('fail');
    expect(allowed.message).toMatch(/^carrier not in \['AA', 'UA', 'DL'\] in \d+ of \d+ rows \(seen: 'sha256:[0-9a-f]{16}' ×\d+\)$/);
    expect(JSON.stringify(allowed)).not.toContain('WN');
  });
});
