/**
 * A source's `created_timestamp_field` changed or removed (a non-breaking change), then the same window
 * materialized again: the online store takes the row the definitions give now, as a training set built now has
 * it (a review finding: the stored row, chosen by the old created times, was kept as "newer": written 0, skipped 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineSource } from '../src/definitions/define.js';
import { materialize } from '../src/materialize/materialize.js';
import { getHistoricalFeatures } from '../src/offline/historical.js';
import { getOnlineFeatures } from '../src/serving/online-features.js';
import { guardBench, type GuardBench } from './guards/helpers.js';

let bench: GuardBench;
beforeAll(async () => {
  bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }] });
  // SEA has two rows at one event time: by `created` the one of delay 2 is the latest, by `created2` the one of delay 1.
  await bench.writeSource(`SELECT * FROM (VALUES
    ('SEA', TIMESTAMP '2024-01-31 10:00', TIMESTAMP '2024-01-31 20:00', TIMESTAMP '2024-01-31 11:00', 2.0::DOUBLE),
    ('SEA', TIMESTAMP '2024-01-31 10:00', TIMESTAMP '2024-01-31 11:00', TIMESTAMP '2024-01-31 20:00', 1.0::DOUBLE)
  ) t(airport, ts, created, created2, delay)`);
});
afterAll(async () => {
  await bench?.close();
});

const WINDOW = { start: '2024-01-31T00:00:00Z', end: '2024-02-01T00:00:00Z', views: ['delays'], guards: false };
const online = async () =>
  (await getOnlineFeatures(bench.project, { features: ['delays:delay'], entities: { airport: ['SEA'] } }, { now: new Date('2024-02-01T00:00:00Z') })).results[1].values[0];
/** What a training set built now holds for SEA at the window's end. */
const training = async () => {
  const ds = await getHistoricalFeatures(bench.project, {
    entities: [{ airport: 'SEA', event_timestamp: '2024-02-01T00:00:00Z' }], features: ['delays:delay'], disableGuards: true,
  });
  return ds.table!.getChild('delay')!.get(0) as number;
};
const applySource = (created?: string) => {
  const set = bench.project.registry.current();
  const source = set.sources.get('rows')!;
  bench.project.registry.apply([
    ...set.entities.values(),
    defineSource({ name: 'rows', path: source.path!, timestamp_field: 'ts', ...(created ? { created_timestamp_field: created } : {}) }),
    ...set.views.values(),
  ]);
};

describe('materializing a window again after created_timestamp_field changed', () => {
  it('writes the row the new created times make the latest; under unchanged definitions it skips it again', async () => {
    const [first] = await materialize(bench.project, WINDOW);
    expect([first.status, first.entitiesWritten], first.message ?? '').toEqual(['success', 1]);
    expect(await online()).toBe(2);
    expect(await training()).toBe(2);

    applySource('created2');
    const [again] = await materialize(bench.project, WINDOW);
    expect([again.entitiesWritten, again.skipped], again.message ?? '').toEqual([1, 0]);
    expect(await online()).toBe(1);
    expect(await training()).toBe(1);
    const [same] = await materialize(bench.project, WINDOW);
    expect([same.entitiesWritten, same.skipped]).toEqual([0, 1]);

    // No created time at all: the rows tie and the tie-break on the values decides, as in a training set.
    applySource(undefined);
    const [none] = await materialize(bench.project, WINDOW);
    expect([none.entitiesWritten, none.skipped], none.message ?? '').toEqual([1, 0]);
    expect(await online()).toBe(await training());
  });
});
