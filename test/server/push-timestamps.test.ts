/**
 * A timestamp feature pushed online reads back as it was sent, to the microsecond,
 * in the form materialized timestamps take (`…:SS.ffffffZ`); a float32 feature
 * reads back as the float32 it is (what a materialization serves, and what the
 * guards checked), not the double that was sent.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { push } from '../../src/serving/push.js';
import { getOnlineFeatures } from '../../src/serving/online-features.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';

let bench: GuardBench;
let floats: GuardBench;
beforeAll(async () => {
  bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'seen', type: 'timestamp' }] });
  floats = await guardBench({ features: [{ name: 'f32', type: 'float32' }, { name: 'a32', type: 'float32[]' }, { name: 'f64', type: 'float64' }] });
});
afterAll(async () => {
  await bench?.close();
  await floats?.close();
});

it('stores a pushed float32 feature as the float32 it is: 0.1 reads back as 0.10000000149011612, 16777217 as 16777216', async () => {
  const rows = [{ airport: 'SEA', event_timestamp: '2024-01-02T00:00:00Z', f32: 0.1, a32: [0.1, 16777217], f64: 0.1 }];
  expect((await push(floats.project, { view: 'delays', rows })).status).not.toBe('blocked');
  const online = await getOnlineFeatures(floats.project, { features: ['delays:f32', 'delays:a32', 'delays:f64'], entities: { airport: ['SEA'] } });
  expect(online.results.slice(1).map((r) => r.values[0])).toEqual([Math.fround(0.1), [Math.fround(0.1), 16777216], 0.1]);
  // The same value from DuckDB's FLOAT, as a materialization reads it.
  const [{ v }] = (await floats.conn.runAndReadAll('SELECT 0.1::FLOAT::DOUBLE AS v')).getRowObjectsJS() as { v: number }[];
  expect(online.results[1].values[0]).toBe(v);
});

it('keeps the microseconds of a pushed timestamp feature, offsets applied', async () => {
  const rows = [
    { airport: 'SEA', event_timestamp: '2024-01-02T00:00:00Z', delay: 1, seen: '2024-01-02T02:00:00.123456+02:00' },
    { airport: 'JFK', event_timestamp: '2024-01-02T00:00:00Z', delay: 2, seen: '1969-12-31T23:59:59.999999Z' },
    { airport: 'LAX', event_timestamp: '2024-01-02T00:00:00Z', delay: 3, seen: '2024-01-02T00:00:00Z' },
  ];
  const res = await push(bench.project, { view: 'delays', rows });
  expect(res.status).not.toBe('blocked');
  const online = await getOnlineFeatures(bench.project, { features: ['delays:seen'], entities: { airport: ['SEA', 'JFK', 'LAX'] } });
  expect(online.results[1].values).toEqual(['2024-01-02T00:00:00.123456Z', '1969-12-31T23:59:59.999999Z', '2024-01-02T00:00:00.000000Z']);
});
