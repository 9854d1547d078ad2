import { describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from '../definitions/define.js';
import type { Definition, FeatureViewDef } from '../definitions/types.js';
import { computePlan } from './plan.js';

const airport = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] });
const route = defineEntity({ name: 'route', join_keys: [{ name: 'dest', type: 'string' }] });
const source = defineSource({ name: 'hourly', path: 'data/hourly.parquet', timestamp_field: 'hour' });
const view = (name: string, patch: Partial<FeatureViewDef> = {}) =>
  defineFeatureView({
    name, entities: ['airport'], source: 'hourly', ttl: '6h', online: true,
    features: [{ name: 'departures', type: 'int64' }, { name: 'mean_delay', type: 'float64' }],
    ...patch,
  });
const base: Definition[] = [airport, route, source, view('a'), view('b'), view('c', { entities: ['route'] })];
const drops = (desired: Definition[], current: Definition[] = base) => computePlan(current, desired).drops;

describe('Plan.drops', () => {
  it('drops removed views, unused or not', () => {
    expect(drops(base)).toEqual([]);
    expect(drops(base.filter((d) => d.name !== 'b'))).toEqual(['b']);
    const served = [...base, defineFeatureService({ name: 's', features: ['a'] })];
    expect(drops([airport, route, source, view('b'), view('c', { entities: ['route'] })], served)).toEqual(['a']);
  });

  it('drops views whose join keys or feature types changed, not views with other changes', () => {
    const swap = (name: string, v: FeatureViewDef) => base.map((d) => (d.name === name ? v : d));
    expect(drops(swap('a', view('a', { ttl: '12h', description: 'x' })))).toEqual([]);
    expect(drops(swap('a', view('a', { features: [{ name: 'departures', type: 'int64' }] })))).toEqual([]); // removed, unused feature
    expect(drops(swap('a', view('a', { features: [{ name: 'departures', type: 'float64' }, { name: 'mean_delay', type: 'float64' }] })))).toEqual(['a']);
    expect(drops(swap('a', view('a', { entities: ['route'] })))).toEqual(['a']);
  });

  it("drops every view keyed by an entity whose join keys changed", () => {
    const rekeyed = base.map((d) => (d === airport ? defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'int64' }] }) : d));
    expect(drops(rekeyed)).toEqual(['a', 'b']);
    const described = base.map((d) => (d === airport ? defineEntity({ ...airport, description: 'an airport' }) : d));
    expect(drops(described)).toEqual([]);
  });

  it('drops every view reading a source whose timestamp field changed (another time axis), not for other source edits', () => {
    const retimed = base.map((d) => (d === source ? defineSource({ ...source, timestamp_field: 'hour_end' }) : d));
    expect(drops(retimed)).toEqual(['a', 'b', 'c']);
    const described = base.map((d) => (d === source ? defineSource({ ...source, description: 'hourly counts' }) : d));
    expect(drops(described)).toEqual([]);
  });

  it('drops every view reading a source whose join key column changed through field_mapping (keyed by other entities), not for other mappings', () => {
    // Re-materializing would overwrite only the keys the new column has: the others would be served on.
    const mapped = (m: Record<string, string>) => base.map((d) => (d === source ? defineSource({ ...source, field_mapping: m }) : d));
    const current = mapped({ ORIGIN: 'origin' });
    expect(drops(mapped({ DEST: 'origin' }), current)).toEqual(['a', 'b', 'c']);
    expect(drops(mapped({}), current)).toEqual(['a', 'b', 'c']); // read from 'origin' itself now
    expect(drops(mapped({ ORIGIN: 'origin', avg_delay: 'mean_delay' }), current)).toEqual([]); // a feature's column: values rewritten in place
    expect(drops(mapped({ ORIGIN: 'origin', DEST: 'dest' }), current)).toEqual(['a', 'b', 'c']); // view c's key 'dest'
  });
});
