import { describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from '../definitions/define.js';
import { definitionSet } from '../definitions/definition-set.js';
import { buildOnlineReadPlan, createPlanCache } from './online-plan.js';

// A flight view with a feature `origin` beside an airport view keyed by `origin`: valid definitions (with full
// feature names the columns differ), but a read without full names would have two `origin` columns.
const set = definitionSet([
  defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] }),
  defineEntity({ name: 'flight', join_keys: [{ name: 'flight_id', type: 'int64' }] }),
  defineSource({ name: 's', path: 'data/s.parquet', timestamp_field: 'ts' }),
  defineFeatureView({ name: 'hourly', entities: ['airport'], source: 's', online: true, features: [{ name: 'delay', type: 'float64' }] }),
  defineFeatureView({ name: 'flight_info', entities: ['flight'], source: 's', online: true, features: [{ name: 'origin', type: 'string' }] }),
  defineFeatureView({ name: 'daily', entities: ['airport'], source: 's', online: true, features: [{ name: 'daily_delay', type: 'float64' }] }),
  defineFeatureService({ name: 'both', features: ['hourly', 'flight_info'] }),
]);

describe('online read plan', () => {
  it('refuses a feature named like a join key of another requested view, unless full feature names tell them apart', () => {
    expect(() => buildOnlineReadPlan(set, { service: 'both' })).toThrow(/feature 'origin' of view 'flight_info' is named like a join key of another requested view; use full feature names/);
    expect(buildOnlineReadPlan(set, { service: 'both', fullFeatureNames: true }).featureNames).toEqual(['hourly__delay', 'flight_info__origin']);
    // Alone, the view has no such key: no collision.
    expect(buildOnlineReadPlan(set, { features: ['flight_info:origin'] }).featureNames).toEqual(['origin']);
  });

  it('names for each view the first view with the same join keys (keysOf): their key lists are one', () => {
    const plan = buildOnlineReadPlan(set, { features: ['flight_info:origin', 'hourly:delay', 'daily:daily_delay'], fullFeatureNames: true });
    expect(plan.views.map((v) => [v.view, v.keysOf])).toEqual([['flight_info', 0], ['hourly', 1], ['daily', 1]]);
  });
});

describe('the plan cache', () => {
  it('keeps the plans of ordinary requests, and plans requests of thousands of references each time (1,000 of them held 1.5 GB)', () => {
    const plans = createPlanCache();
    const small = { features: ['hourly:delay'] };
    expect(plans(() => set, 1, small)).toBe(plans(() => set, 1, small));
    const huge = { features: Array.from({ length: 3_000 }, () => 'hourly:delay') };
    const first = plans(() => set, 1, huge);
    expect(first.featureNames).toEqual(['delay']);
    expect(plans(() => set, 1, huge)).not.toBe(first);
  });
});
