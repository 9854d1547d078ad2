/**
 * What the plan says apply does to the online values of the views in `drops` (a review finding: every view in
 * `drops` was said to answer NOT_FOUND "until materialized again", also a removed view, which is never
 * materialized again, and an offline view, which has no online values and cannot be materialized).
 */
import { describe, expect, it } from 'vitest';
import type { Definition } from '../definitions/types.js';
import { formatPlan } from './format.js';
import { computePlan } from './plan.js';

const entity = { kind: 'entity', name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] };
const source = { kind: 'source', name: 'src', path: 'data/x.parquet', timestamp_field: 'hour' };
const view = (name: string, type: string, online: boolean) =>
  ({ kind: 'feature_view', name, entities: ['airport'], source: 'src', online, features: [{ name: 'f', type }] });
const defs = (...views: object[]) => [entity, source, ...views] as unknown as Definition[];

describe('the plan on dropped online values', () => {
  it('says NOT_FOUND until materialized again only of views that stay online', () => {
    const plan = computePlan(defs(view('kept', 'int64', true)), defs(view('kept', 'float64', true)));
    expect(plan.drops).toEqual(['kept']);
    expect(plan.dropReasons).toEqual({ kept: 'changed' });
    expect(formatPlan(plan)).toContain('Apply drops the online values of kept: it answers NOT_FOUND until materialized again.');
  });

  it('says a removed view, or one no longer online, loses its values, not that it answers NOT_FOUND until materialized again', () => {
    const plan = computePlan(
      defs(view('gone', 'int64', true), view('offnow', 'int64', true), view('kept', 'int64', true)),
      defs(view('offnow', 'float64', false), view('kept', 'float64', true)),
    );
    expect(plan.drops).toEqual(['gone', 'kept', 'offnow']);
    expect(plan.dropReasons).toEqual({ gone: 'removed', kept: 'changed', offnow: 'no_longer_online' });
    const text = formatPlan(plan, { allowBreaking: true });
    expect(text).toContain('Apply drops the online values of kept: it answers NOT_FOUND until materialized again.');
    expect(text).toContain('Apply deletes the online values of gone (removed), offnow (no longer online).');
    expect(text).not.toMatch(/gone[^\n]*NOT_FOUND|offnow[^\n]*NOT_FOUND/);
  });

  it('does not list an offline view among those whose online values are dropped', () => {
    const plan = computePlan(defs(view('label', 'int64', false), view('old_label', 'int64', false)), defs(view('label', 'float64', false)));
    expect(plan.drops).toEqual(['label', 'old_label']);
    expect(plan.dropReasons).toEqual({ label: 'offline', old_label: 'offline' });
    const text = formatPlan(plan, { allowBreaking: true });
    expect(text).not.toContain('online values of');
    expect(text).not.toContain('NOT_FOUND');
    expect(text).toContain('Apply starts the quality history of label, old_label afresh (not online: no online values to drop; drift and volume checks compare only later runs).');
  });
});
