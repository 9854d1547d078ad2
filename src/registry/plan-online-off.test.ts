/**
 * Review findings on the plan: a view set to `online: false` while a feature service reads it was applied as a
 * harmless edit (every online read of the service then failed with `view_not_online`, and its rows stayed in the
 * online store); and once an object had a real change, the plan listed beside it edits that are no change
 * (`tags: {}` added, `1h` respelt `3600s`).
 */
import { describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from '../definitions/define.js';
import type { Definition, FeatureViewDef } from '../definitions/types.js';
import { formatPlan } from './format.js';
import { computePlan } from './plan.js';

const route = defineEntity({ name: 'route', join_keys: [{ name: 'origin', type: 'string' }, { name: 'dest', type: 'string' }] });
const source = defineSource({ name: 'daily', path: 'data/daily.parquet', timestamp_field: 'day' });
const view = (name: string, patch: Partial<FeatureViewDef> = {}) =>
  defineFeatureView({ name, entities: ['route'], source: 'daily', ttl: '24h', online: true, features: [{ name: 'mean_delay', type: 'float64' }], ...patch });
const service = (name: string, features: string[]) => defineFeatureService({ name, features });

describe('a view set to online: false', () => {
  it('is breaking when a feature service reads it, and its online values are deleted (no_longer_online)', () => {
    for (const ref of ['route_daily', 'route_daily:*', 'route_daily:mean_delay']) {
      const current: Definition[] = [route, source, view('route_daily'), service('delay_model', [ref])];
      const desired = current.map((d) => (d.name === 'route_daily' ? view('route_daily', { online: false }) : d));
      const plan = computePlan(current, desired);
      expect(plan.changes.find((c) => c.name === 'route_daily')?.breaking).toEqual([
        "feature view 'route_daily' is no longer online but feature service delay_model uses it",
      ]);
      expect(plan.breaking).toBe(true);
      expect(plan.drops).toEqual(['route_daily']);
      expect(plan.dropReasons).toEqual({ route_daily: 'no_longer_online' });
      const text = formatPlan(plan);
      expect(text).toContain("! BREAKING: feature view 'route_daily' is no longer online but feature service delay_model uses it");
      expect(text).toContain('Apply deletes the online values of route_daily (no longer online).');
    }
  });

  it('names every service reading it, current or desired', () => {
    const current: Definition[] = [route, source, view('route_daily'), service('a', ['route_daily']), service('b', ['route_daily:mean_delay'])];
    const desired = [route, source, view('route_daily', { online: false }), service('b', ['route_daily:mean_delay']), service('c', ['route_daily'])];
    expect(computePlan(current, desired).changes.find((c) => c.name === 'route_daily')?.breaking).toEqual([
      "feature view 'route_daily' is no longer online but feature services a, b, c use it",
    ]);
  });

  it('unused, is not breaking, but its online values are deleted all the same; online: true is a drop of nothing', () => {
    const plan = computePlan([route, source, view('route_daily')], [route, source, view('route_daily', { online: false })]);
    expect(plan.breaking).toBe(false);
    expect(plan.drops).toEqual(['route_daily']);
    expect(plan.dropReasons).toEqual({ route_daily: 'no_longer_online' });
    // Leaving `online` out is `online: false` too.
    const { online: _online, ...rest } = view('route_daily');
    expect(computePlan([route, source, view('route_daily')], [route, source, defineFeatureView(rest as never)]).drops).toEqual(['route_daily']);
    const on = computePlan([route, source, view('route_daily', { online: false })], [route, source, view('route_daily')]);
    expect(on.drops).toEqual([]);
    expect(on.breaking).toBe(false);
  });
});

describe('the field changes of a changed object', () => {
  it('leave out edits that are no change (a default written out, a duration respelt) beside a real change', () => {
    const plan = computePlan(
      [route, source, view('v', { ttl: '24h', allowed_lateness: '1h' })],
      [route, source, view('v', { ttl: '12h', allowed_lateness: '3600s', tags: {}, slices: [], quality: {} })],
    );
    expect(plan.changes.find((c) => c.name === 'v')?.changes).toEqual([{ path: '/ttl', before: '24h', after: '12h' }]);
  });

  it('keep a real change of those fields, shown as written', () => {
    const plan = computePlan([route, source, view('v', { allowed_lateness: '1h', tags: { team: 'ops' } })], [route, source, view('v', { allowed_lateness: '2h', tags: {} })]);
    expect(plan.changes.find((c) => c.name === 'v')?.changes).toEqual([
      { path: '/allowed_lateness', before: '1h', after: '2h' },
      { path: '/tags/team', before: 'ops', after: null },
    ]);
  });
});
