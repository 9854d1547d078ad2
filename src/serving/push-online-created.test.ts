/**
 * An online-only push to a view whose source has a `created_timestamp_field` is stamped with the push's time, as an
 * offline push's rows are: a later materialization of an older row (same event time, created earlier) does not
 * replace it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { materialize } from '../materialize/materialize.js';
import { getOnlineFeatures } from './online-features.js';
import { push } from './push.js';
import { guardBench, type GuardBench } from '../../test/guards/helpers.js';

let bench: GuardBench;
beforeAll(async () => {
  bench = await guardBench({ sourceGlob: true });
});
afterAll(async () => {
  await bench?.close();
});

const delay = async () => (await getOnlineFeatures(bench.project, { features: ['delays:delay'], entities: { airport: ['SEA'] } })).results[1].values[0];

it('keeps an online-only push when a materialization later reads an older row of the same event time', async () => {
  const at = '2024-03-01T20:10:00Z';
  const offline = await push(bench.project, { view: 'delays', to: 'offline', rows: [{ airport: 'SEA', event_timestamp: at, created_timestamp: '2024-03-01T20:11:00Z', delay: 1, carrier: 'AA' }] });
  expect(offline.status).not.toBe('blocked');
  const online = await push(bench.project, { view: 'delays', to: 'online', rows: [{ airport: 'SEA', event_timestamp: at, delay: 2, carrier: 'AA' }] });
  expect(online).toMatchObject({ written: 1, skipped: 0 });
  expect(await delay()).toBe(2);
  const [run] = await materialize(bench.project, { start: '2024-03-01T20:05:00Z', end: '2024-03-01T20:15:00Z', views: ['delays'], guards: false });
  expect(run).toMatchObject({ rowsRead: 1, entitiesWritten: 0, skipped: 1 });
  expect(await delay()).toBe(2);
});

it('keeps a created time the caller sent with an online-only push', async () => {
  const at = '2024-03-02T20:10:00Z';
  await push(bench.project, { view: 'delays', to: 'offline', rows: [{ airport: 'SEA', event_timestamp: at, created_timestamp: '2024-03-02T20:11:00Z', delay: 1, carrier: 'AA' }] });
  // Sent as created before the offline row: the materialization's row is newer and replaces it.
  await push(bench.project, { view: 'delays', to: 'online', rows: [{ airport: 'SEA', event_timestamp: at, created_timestamp: '2024-03-02T20:10:30Z', delay: 2, carrier: 'AA' }] });
  const [run] = await materialize(bench.project, { start: '2024-03-02T20:05:00Z', end: '2024-03-02T20:15:00Z', views: ['delays'], guards: false });
  expect(run).toMatchObject({ rowsRead: 1, entitiesWritten: 1, skipped: 0 });
  expect(await delay()).toBe(1);
});
