/**
 * A timestamp feature pushed online reads back as it was sent, to the microsecond,
 * in the form materialized timestamps take (`…:SS.ffffffZ`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { push } from '../../src/serving/push.js';
import { getOnlineFeatures } from '../../src/serving/online-features.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';

let bench: GuardBench;
beforeAll(async () => {
  bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'seen', type: 'timestamp' }] });
});
afterAll(() => bench?.close());

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
