import { describe, expect, it } from 'vitest';
import { NAME_RULE, validateWithSchema } from './schema-validation.js';

const view = { kind: 'feature_view', name: 'v', entities: ['airport'], source: 's', features: [{ name: 'x', type: 'float64' }] };

describe('validateWithSchema', () => {
  it('accepts valid objects, including an unquoted ttl of 0', () => {
    expect(validateWithSchema('feature_view', view)).toEqual([]);
    expect(validateWithSchema('feature_view', { ...view, ttl: 0 })).toEqual([]);
  });

  it('picks the alternative that fits the data type (ttl: text or 0)', () => {
    expect(validateWithSchema('feature_view', { ...view, ttl: '1w' })).toEqual([
      { path: '/ttl', message: "'1w' is not a valid duration: use 0 (unlimited) or a whole number with unit s, m, h or d, e.g. 6h" },
    ]);
    expect(validateWithSchema('feature_view', { ...view, ttl: 5 })).toEqual([{ path: '/ttl', message: 'a duration needs a unit, e.g. 5s (got 5); or use 0 (unlimited)' }]);
    expect(validateWithSchema('feature_view', { ...view, ttl: true })).toEqual([{ path: '/ttl', message: 'must be text or 0 (got true)' }]);
  });

  it('says a bare number as a duration lacks its unit, rather than that it must be 0', () => {
    const ttl = (value: number) => validateWithSchema('feature_view', { ...view, ttl: value });
    expect(ttl(3600)).toEqual([{ path: '/ttl', message: 'a duration needs a unit, e.g. 3600s or 1h (got 3600); or use 0 (unlimited)' }]);
    expect(ttl(90)).toEqual([{ path: '/ttl', message: 'a duration needs a unit, e.g. 90s (got 90); or use 0 (unlimited)' }]);
    expect(ttl(172_800)[0].message).toContain('e.g. 172800s or 2d');
    expect(ttl(1.5)[0].message).toBe('a duration needs a unit, e.g. 6h (got 1.5); or use 0 (unlimited)');
    expect(ttl(-60)[0].message).toBe('a duration needs a unit, e.g. 6h (got -60); or use 0 (unlimited)');
    // Every duration setting, with what 0 means for it.
    expect(validateWithSchema('project', { project: 'p', quality: { provenance: { max_clock_skew: 300 } }, alerts: [{ name: 'a', url: 'http://127.0.0.1:9/x', min_interval: 600 }] })).toEqual([
      { path: '/quality/provenance/max_clock_skew', message: 'a duration needs a unit, e.g. 300s or 5m (got 300); or use 0 (no skew allowed)' },
      { path: '/alerts/0/min_interval', message: 'a duration needs a unit, e.g. 600s or 10m (got 600); or use 0 (every match is sent)' },
    ]);
    expect(validateWithSchema('project', { project: 'p', quality: { anomaly: { max_staleness: 7200 } } })).toEqual([
      { path: '/quality/anomaly/max_staleness', message: 'a duration needs a unit, e.g. 7200s or 2h (got 7200); or use 0 (no freshness check)' },
    ]);
    expect(validateWithSchema('project', { project: 'p', quality: { provenance: { landing_delay: 900 } } })).toEqual([
      { path: '/quality/provenance/landing_delay', message: 'a duration needs a unit, e.g. 900s or 15m (got 900); or use 0 (no late landing: a row that lands after its day was read is an edit)' },
    ]);
  });

  it('says what a drift reference may be instead of printing its pattern', () => {
    for (const reference of ['prev', 'previous:0', 'previous:100', 'baseline:Jan']) {
      expect(validateWithSchema('feature_view', { ...view, quality: { drift: { reference } } })).toEqual([
        { path: '/quality/drift/reference', message: `'${reference}' is not a valid drift reference: use 'previous', 'previous:<n>' (the last n successful runs, n from 1 to 99) or 'baseline:<name>' (${NAME_RULE})` },
      ]);
    }
    expect(validateWithSchema('feature_view', { ...view, quality: { drift: { reference: 'previous:7' } } })).toEqual([]);
  });

  it('reports repeated items, empty lists and bounds in words', () => {
    expect(validateWithSchema('feature_view', { ...view, entities: ['a', 'a'] })).toEqual([{ path: '/entities/1', message: "'a' is listed twice (items 0 and 1)" }]);
    expect(validateWithSchema('feature_view', { ...view, features: [] })).toEqual([{ path: '/features', message: 'must list at least one item (the list is empty)' }]);
    expect(validateWithSchema('feature_view', { ...view, features: [{ name: 'x', type: 'float64', mostly: 1.5 }] })).toEqual([
      { path: '/features/0/mostly', message: 'must be <= 1 (got 1.5)' },
    ]);
  });

  it('names the allowed online store types', () => {
    expect(validateWithSchema('project', { project: 'p', online_store: { type: 'dynamo' } })).toEqual([
      { path: '/online_store/type', message: 'must be one of sqlite, redis (got \'dynamo\')' },
    ]);
    expect(validateWithSchema('project', { project: 'p', online_store: { type: 'redis', urls: 'x' } })).toEqual([
      { path: '/online_store/urls', message: "unknown property 'urls' (did you mean 'url'?)", atKey: true },
    ]);
  });

  it('explains bad feature references and labels', () => {
    const svc = { kind: 'feature_service', name: 's', features: ['a:b:c'], label: 'flight_outcome' };
    expect(validateWithSchema('feature_service', svc).map((p) => p.path)).toEqual(['/features/0', '/label']);
    expect(validateWithSchema('feature_service', svc)[1].message).toMatch(/use 'label_view:feature'/);
  });

  it('keeps errors of the same referenced schema apart by location (quality on a view and on a feature)', () => {
    const v = { ...view, quality: { drift: { policy: 'wrn' } }, features: [{ name: 'x', type: 'float64', quality: { drift: 'wrn' } }] };
    const problems = validateWithSchema('feature_view', v);
    expect(problems.map((p) => p.path)).toEqual(['/quality/drift/policy', '/features/0/quality/drift']);
    for (const p of problems) expect(p.message).toMatch(/^must be one of .*warn.* \(got 'wrn'\) \(did you mean 'warn'\?\)$/);
  });
});
