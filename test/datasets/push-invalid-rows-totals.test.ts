/**
 * A push refused for rows that do not fit the view says how many values and rows are bad, one problem per bad value:
 * an int64 sent as text that is no digit string was two problems ("must be integer" and "must match pattern" with
 * the int64 regex), and past the 20 problems kept the count was lost ("many problem(s)", check value 20), so a
 * frame with every row bad could not be told from one with ten. The totals are counted against an independent
 * reference: the rows built bad on purpose.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureguardError } from '../../src/errors.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { readRowsFile } from '../../src/serving/push-file.js';
import { openPushProject, refusal, type PushProject } from './push-project.js';

let p: PushProject;
beforeAll(async () => {
  p = await openPushProject('push_invalid_totals', `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: daily
path: data/daily/*.parquet
timestamp_field: day
---
kind: feature_view
name: daily_flights
entities: [airport]
source: daily
online: true
quality: {drift: off, anomaly: off}
features:
  - {name: departures, type: int64}
  - {name: delay, type: float64}
`, { parquet: { 'daily/part-0.parquet': "SELECT 'SEA' AS origin, TIMESTAMP '2026-01-01' AS day, 10::BIGINT AS departures, 1.5::DOUBLE AS delay" } });
});
afterAll(async () => {
  await p?.close();
});

const INT64 = 'must be an integer or a string of digits (int64)';
const row = (i: number, departures: unknown) => ({ origin: `A${i}`, event_timestamp: '2026-01-02T00:00:00Z', departures, delay: 1 });

describe('a push refused for bad values', () => {
  it('counts one problem per bad int64 value, without the regex', async () => {
    const rows = [0, 1, 2, 3, 4].map((i) => row(i, i === 1 || i === 3 ? 'twelve' : i));
    const e = await refusal(() => p.fs.push({ view: 'daily_flights', rows }), FeatureguardError);
    expect(e.code).toBe('invalid_rows');
    expect(e.message).toBe(`2 problems in 2 of 5 pushed rows for view 'daily_flights'; first: row 1 (counting from 0) at /1/departures: ${INT64}`);
    const details = e.details as Record<string, unknown>;
    expect(details.problems).toEqual([
      { row: 1, path: '/1/departures', message: INT64 },
      { row: 3, path: '/3/departures', message: INT64 },
    ]);
    expect([details.invalid_rows, details.problem_count]).toEqual([2, 2]);
    const [result] = p.fs.runs.results(String(details.run_id));
    expect([result.value, result.metrics, result.message]).toEqual([2, { rows: 5, invalid_rows: 2, problems: 2 }, e.message]);
  });

  it('keeps counting rows and values past the 20 problems it lists (a Parquet frame, every departures a string)', async () => {
    const file = join(p.dir, 'frame.parquet');
    const conn = await (await openOfflineEngine()).connect();
    try {
      // 737 rows, each with a departures that is no digit string; every 100th also a delay that is no number (the others null).
      await conn.run(`COPY (SELECT 'A' || i AS origin, TIMESTAMP '2026-01-02' AS event_timestamp, (i || '.5') AS departures,
        CASE WHEN i % 100 = 0 THEN 'late' END AS delay FROM range(737) t(i)) TO '${file}' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
    const rows = await readRowsFile(p.fs.project, file);
    const bad = rows.filter((r) => !/^\d+$/.test(String(r.departures))).length;
    const badDelays = rows.filter((r) => r.delay !== null && typeof r.delay !== 'number').length;
    expect([rows.length, bad, badDelays]).toEqual([737, 737, 8]);
    const e = await refusal(() => p.fs.push({ view: 'daily_flights', rows }), FeatureguardError);
    expect(e.message).toBe(`745 problems in 737 of 737 pushed rows for view 'daily_flights' (first 20 listed); first: row 0 (counting from 0) at /0/departures: ${INT64}`);
    const details = e.details as { problems: { row: number; message: string }[]; invalid_rows: number; problem_count: number; run_id: string };
    expect(details.problems).toHaveLength(20);
    expect(details.problems.every((x) => x.message.length < 100)).toBe(true);
    expect([details.invalid_rows, details.problem_count]).toEqual([bad, bad + badDelays]);
    const [result] = p.fs.runs.results(details.run_id);
    expect([result.value, result.metrics]).toEqual([737, { rows: 737, invalid_rows: 737, problems: 745 }]);
    expect((result.details as { problems: unknown[] }).problems).toEqual(details.problems);
  });
});
