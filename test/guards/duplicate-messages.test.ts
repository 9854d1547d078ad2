/**
 * The duplicates warning tells exact copies from rows that conflict (same key and time, other feature values), with
 * a few example keys, computed only when there are duplicates. Real DuckDB tables and a real state database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe('duplicate (keys, event_timestamp, created_timestamp) rows', () => {
  // 2 exact copies of a row each (2 keys), and 3 rows that repeat a key and time with another delay (3 keys).
  const PLANTED = `SELECT * FROM w
    UNION ALL (SELECT * FROM w WHERE hour(event_timestamp) = 1 ORDER BY event_timestamp LIMIT 2)
    UNION ALL (SELECT * REPLACE (delay + 1 AS delay) FROM w WHERE hour(event_timestamp) BETWEEN 2 AND 4 ORDER BY event_timestamp LIMIT 3)`;

  it('tells exact copies from rows that conflict, with a few example keys', async () => {
    bench = await guardBench();
    const g = await bench.runWindow('2024-01-01', '2024-01-03', { transform: PLANTED });
    const [dups] = pick(g, 'provenance', 'duplicates');
    expect(dups).toMatchObject({ status: 'warn', value: 5 });
    expect(dups.message).toBe('5 duplicate (airport, event_timestamp, created_timestamp) rows on 5 keys, 3 of those keys with conflicting feature values');
    expect(dups.details).toMatchObject({ exact: true, counted_exactly: true, keys: 5, conflicting_keys: 3 });
    const examples = dups.details!.examples as { key: Record<string, unknown>; rows: number; conflicting: boolean }[];
    // Conflicting keys first.
    expect(examples.map((e) => [e.rows, e.conflicting])).toEqual([[2, true], [2, true], [2, true], [2, false], [2, false]]);
    expect(examples[0].key).toEqual({ airport: expect.any(String), event_timestamp: expect.stringMatching(/^2024-01-01 02:00:00/) });
  });

  it('says so when every duplicate is an exact copy, and bounds the examples', async () => {
    bench = await guardBench();
    const g = await bench.runWindow('2024-01-01', '2024-01-03', { transform: 'SELECT * FROM w UNION ALL SELECT * FROM w UNION ALL (SELECT * FROM w LIMIT 3)' });
    const [dups] = pick(g, 'provenance', 'duplicates');
    expect(dups).toMatchObject({ status: 'warn', value: 48 + 3 });
    expect(dups.message).toBe('51 duplicate (airport, event_timestamp, created_timestamp) rows on 48 keys, all exact copies (the same feature values)');
    expect(dups.details).toMatchObject({ keys: 48, conflicting_keys: 0 });
    expect((dups.details!.examples as unknown[]).length).toBe(5);
    expect((dups.details!.examples as { rows: number }[])[0].rows).toBe(3);
  });

  it('above exact_duplicates_max_rows: estimated from 1/16 of the keys, saying so, keys and rows scaled alike', async () => {
    bench = await guardBench({ quality: { provenance: { exact_duplicates_max_rows: 10 } } });
    // Every row twice, over a week: each key has 2 rows, so the duplicate rows and the keys are the same estimate.
    const g = await bench.runWindow('2024-01-01', '2024-01-08', { transform: 'SELECT * FROM w UNION ALL SELECT * REPLACE (delay + 1 AS delay) FROM w' });
    const [dups] = pick(g, 'provenance', 'duplicates');
    const n = dups.value!;
    expect(n % 16).toBe(0);
    expect(n).toBeGreaterThan(0);
    expect(dups.message).toBe(`about ${n} duplicate (airport, event_timestamp, created_timestamp) rows on about ${n} keys, all with conflicting feature values (estimated from 1/16 of the keys)`);
    expect(dups.details).toMatchObject({ exact: false, counted_exactly: false, keys: n, conflicting_keys: n });
  });

  it('a correction (the same key and time, a later created_timestamp) is no duplicate: a pass that counts it', async () => {
    bench = await guardBench();
    const g = await bench.runWindow('2024-01-01', '2024-01-03', {
      transform: `SELECT * FROM w UNION ALL (SELECT * REPLACE (delay + 1 AS delay, created_timestamp + INTERVAL 1 HOUR AS created_timestamp) FROM w WHERE hour(event_timestamp) = 2 ORDER BY event_timestamp LIMIT 1)`,
    });
    const [dups] = pick(g, 'provenance', 'duplicates');
    expect(dups).toMatchObject({ status: 'pass', value: 0, metrics: { rows: 0, corrections: 1 } });
    expect(dups.message).toBe('no duplicate (airport, event_timestamp, created_timestamp) rows; 1 correction on 1 key (a row with a later created_timestamp for the same key and time: the newest is served and trained on)');
    expect(dups.details).toMatchObject({ corrections: 1, corrected_keys: 1, examples: [{ rows: 2, conflicting: false, corrections: 1 }] });
  });

  it('rows tied on the created_timestamp too with other values warn as before, beside the corrections', async () => {
    bench = await guardBench();
    const g = await bench.runWindow('2024-01-01', '2024-01-03', {
      transform: `SELECT * FROM w
        UNION ALL (SELECT * REPLACE (delay + 1 AS delay) FROM w WHERE hour(event_timestamp) = 1 ORDER BY event_timestamp LIMIT 1)
        UNION ALL (SELECT * REPLACE (delay + 1 AS delay, created_timestamp + INTERVAL 1 HOUR AS created_timestamp) FROM w WHERE hour(event_timestamp) = 2 ORDER BY event_timestamp LIMIT 2)`,
    });
    const [dups] = pick(g, 'provenance', 'duplicates');
    expect(dups).toMatchObject({ status: 'warn', value: 1, metrics: { rows: 1, keys: 1, conflicting_keys: 1, corrections: 2 } });
    expect(dups.message).toBe('1 duplicate (airport, event_timestamp, created_timestamp) row on 1 key, all with conflicting feature values; 2 corrections on 2 keys (a row with a later created_timestamp for the same key and time: the newest is served and trained on)');
    expect((dups.details!.examples as { conflicting: boolean }[])[0].conflicting).toBe(true);
  });

  it('no duplicates: no extras', async () => {
    bench = await guardBench();
    const [dups] = pick(await bench.runWindow('2024-01-01', '2024-01-03'), 'provenance', 'duplicates');
    expect(dups).toMatchObject({ status: 'pass', value: 0, details: { exact: true, counted_exactly: true } });
    expect(dups.details).not.toHaveProperty('examples');
  });
});
