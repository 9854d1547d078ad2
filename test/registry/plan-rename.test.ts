/**
 * Renaming a view a service reads: the service's new version reads the same feature names from the new view.
 * The plan says so once for the service (not once per feature), and notes that the new view answers NOT_FOUND
 * until it is materialized. Removing and re-adding a feature with no materialization in between: its values were
 * kept, so the plan does not say NOT_FOUND for it.
 */
import { describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import type { FeatureViewDef } from '../../src/definitions/types.js';
import { computePlan } from '../../src/registry/plan.js';

const base = [
  defineEntity({ name: 'route', join_keys: [{ name: 'route', type: 'string' }] }),
  defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] }),
  defineSource({ name: 'route_src', path: 'data/route.parquet', timestamp_field: 'ts' }),
  defineSource({ name: 'airport_src', path: 'data/airport.parquet', timestamp_field: 'ts' }),
  defineFeatureView({ name: 'airport_hourly', entities: ['airport'], source: 'airport_src', online: true, features: [{ name: 'departures', type: 'int64' }] }),
];
const features = [{ name: 'route_departures', type: 'int64' as const }, { name: 'route_delay', type: 'float64' as const }, { name: 'route_share', type: 'float64' as const }];
const routeView = (name: string) => defineFeatureView({ name, entities: ['route'], source: 'route_src', online: true, ttl: '2d', features });
const service = (refs: string[]) => defineFeatureService({ name: 'delay_model', features: refs });

describe('plan of a view rename', () => {
  it('says once that the service reads the same names from the new view, and that the new view is empty until materialized', () => {
    const current = [...base, routeView('route_daily'), service(['airport_hourly', 'route_daily'])];
    const desired = [...base, routeView('route_daily_v2'), service(['airport_hourly', 'route_daily_v2'])];
    const plan = computePlan(current, desired);
    const removal = plan.changes.find((c) => c.name === 'route_daily')!;
    expect(removal.breaking).toEqual([
      "feature view 'route_daily' removed, but feature service delay_model reads route_departures, route_delay, route_share from it; after the apply it reads the same names from route_daily_v2",
    ]);
    expect(plan.notes).toContain('Apply adds route_daily_v2: feature service delay_model reads it, and its online reads of route_daily_v2 return NOT_FOUND until route_daily_v2 is materialized.');
    // A service that still reads the removed view (or reads some names from nowhere) is told per feature, as before.
    const partial = computePlan(current, [...base, defineFeatureView({ ...routeView('route_daily_v2'), features: features.slice(0, 2) }), service(['airport_hourly', 'route_daily_v2'])]);
    expect(partial.changes.find((c) => c.name === 'route_daily')!.breaking).toEqual(features.map((f) => `feature 'route_daily:${f.name}' removed with its view but feature service delay_model uses it`));
  });

  it('says a feature removed and added back may return its kept values, not only NOT_FOUND', () => {
    const view = (fs: typeof features) => defineFeatureView({ ...routeView('route_daily'), features: fs });
    const withAll = [...base, view(features), service(['route_daily:route_departures'])];
    const without = [...base, view(features.slice(0, 2)), service(['route_daily:route_departures'])];
    // The version without route_share was applied after the one with it, and nothing dropped its values since.
    const past = (name: string): FeatureViewDef[] => (name === 'route_daily' ? [view(features) as FeatureViewDef, view(features.slice(0, 2)) as FeatureViewDef] : []);
    const readded = computePlan(without, withAll, past);
    expect(readded.rereads).toEqual(['route_daily']);
    expect(readded.notes).toEqual(['Apply adds route_share back to route_daily: online reads return the values kept from before its removal, or NOT_FOUND where none is kept (an entity never materialized, or materialized since), until the next materialization, which re-reads the last 2d.']);
    // Never there before: NOT_FOUND, as before.
    const added = computePlan(without, withAll, () => [view(features.slice(0, 2)) as FeatureViewDef]);
    expect(added.notes).toContain('Apply adds route_share to route_daily: online reads return NOT_FOUND for it until the next materialization, which re-reads the last 2d.');
  });
});
