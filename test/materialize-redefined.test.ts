/**
 * Materializing a window again after a non-breaking change of the view or its
 * source brings the values the definitions give now (a review finding: rows of
 * equal timestamps were all skipped as "newer", so a feature added stayed
 * NOT_FOUND online for good while training sets had it), and under unchanged
 * definitions skips them as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFeatureView, defineSource } from '../src/definitions/define.js';
import { materialize } from '../src/materialize/materialize.js';
import { getOnlineFeatures } from '../src/serving/online-features.js';
import { guardBench, type GuardBench } from './guards/helpers.js';

let bench: GuardBench;
beforeAll(async () => {
  bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }] });
});
afterAll(async () => {
  await bench?.close();
});

const WINDOW = { start: '2024-01-30T00:00:00Z', end: '2024-02-01T00:00:00Z' };
const read = (features: string[]) => getOnlineFeatures(bench.project, { features, entities: { airport: ['SEA'] } }, { now: new Date('2024-02-01T00:00:00Z') });
const applyView = (features: { name: string; type: 'float64' | 'string' }[], fieldMapping?: Record<string, string>) => {
  const set = bench.project.registry.current();
  const source = set.sources.get('rows')!;
  bench.project.registry.apply([
    ...set.entities.values(),
    fieldMapping ? defineSource({ name: 'rows', path: source.path!, timestamp_field: 'ts', created_timestamp_field: 'created', field_mapping: fieldMapping }) : source,
    defineFeatureView({ ...set.views.get('delays')!, features }),
  ]);
};

describe('materializing a window again after the definitions changed', () => {
  it('writes a feature added since, and values a field mapping now reads; under the same definitions it skips them', async () => {
    const [first] = await materialize(bench.project, { ...WINDOW, views: ['delays'] });
    expect(first.status, first.message ?? '').toBe('success');
    expect(first.entitiesWritten).toBe(3);
    const [again] = await materialize(bench.project, { ...WINDOW, views: ['delays'] });
    expect([again.entitiesWritten, again.skipped]).toEqual([0, 3]);

    applyView([{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string' }]);
    const [added] = await materialize(bench.project, { ...WINDOW, views: ['delays'] });
    expect([added.entitiesWritten, added.skipped]).toEqual([3, 0]);
    const withCarrier = await read(['delays:delay', 'delays:carrier']);
    expect(withCarrier.results[2].statuses).toEqual(['PRESENT']);

    // The feature `delay` now read from another column of the source (field_mapping), at the same timestamps.
    const before = withCarrier.results[1].values[0];
    await bench.writeSource(`SELECT *, delay + 1000 AS delay_v2 FROM read_parquet('${bench.dir}/data/rows.parquet')`);
    applyView([{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string' }], { delay: 'delay_v1', delay_v2: 'delay' });
    const [remapped] = await materialize(bench.project, { ...WINDOW, views: ['delays'] });
    expect([remapped.status, remapped.entitiesWritten], remapped.message ?? '').toEqual([expect.stringMatching(/success|warned/), 3]);
    expect((await read(['delays:delay'])).results[1].values[0]).toBe((before as number) + 1000);
  });
});

describe('a view named twice', () => {
  it('is materialized once (it was refused as "already being materialized" by its own process)', async () => {
    const results = await materialize(bench.project, { ...WINDOW, views: ['delays', 'delays'] });
    expect(results.map((r) => [r.view, r.status])).toEqual([['delays', expect.stringMatching(/success|warned/)]]);
  });
});
