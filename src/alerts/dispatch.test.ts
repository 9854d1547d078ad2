import { describe, expect, it } from 'vitest';
import type { AlertConfig, FeatureServiceDef, FeatureViewDef } from '../definitions/types.js';
import type { CheckResult, Run } from '../runs/types.js';
import { NOT_JUDGED, matchAlert, type AlertRegistry } from './dispatch.js';
import { webhookEndpoint } from './attempts.js';

const view = (name: string, features: string[]): FeatureViewDef =>
  ({ kind: 'feature_view', name, entities: ['airport'], source: 'src', features: features.map((f) => ({ name: f, type: 'float64' })) }) as unknown as FeatureViewDef;
const service = (name: string, features: string[], label?: string): FeatureServiceDef => ({ kind: 'feature_service', name, features, ...(label ? { label } : {}) });

const registry: AlertRegistry = {
  views: new Map([
    ['hourly', view('hourly', ['mean_delay', 'flights'])],
    ['daily', view('daily', ['mean_delay', 'cancelled'])],
    ['routes', view('routes', ['distance'])],
    ['outcome', view('outcome', ['late'])],
    ['unused', view('unused', ['x'])],
  ]),
  services: new Map([
    ['delay_model', service('delay_model', ['hourly', 'daily:*', 'routes:distance'], 'outcome:late')],
    ['narrow_model', service('narrow_model', ['hourly:flights'])],
  ]),
};

const run = (over: Partial<Run>): Run => ({
  id: 'r1', kind: 'materialize', view: null, service: null, status: 'running', started_at: '2024-01-01T00:00:00Z', finished_at: null,
  window_start: null, window_end: null, rows_in: null, rows_out: null, message: null, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 }, lineage: null, options: null, trigger: null, ...over,
});
const result = (feature: string | null, status: CheckResult['status'] = 'fail', check = 'drift'): CheckResult => ({
  run_id: 'r1', check, feature, slice: null, status, method: 'psi', value: 0.3, thresholds: null, metrics: null, message: `${feature} ${status}`, details: null,
});
const retrain: AlertConfig = { name: 'retrain', url: 'http://127.0.0.1/hook', checks: ['drift'], statuses: ['fail'], services: ['delay_model'] };
const drifted = (feature: string) => ({ verdict: 'warn' as const, results: [result(feature), result(null, 'pass')] });

describe('matchAlert with a services filter', () => {
  it('matches materializations of every view the service consumes: view, view:*, view:feature and the label view', () => {
    for (const [v, f] of [['hourly', 'mean_delay'], ['daily', 'cancelled'], ['routes', 'distance'], ['outcome', 'late']]) {
      expect(matchAlert(retrain, run({ view: v }), drifted(f), registry), v).toEqual([result(f)]);
    }
  });

  it('does not match views the service does not consume, unknown services, or view runs without the registry', () => {
    expect(matchAlert(retrain, run({ view: 'unused' }), drifted('x'), registry)).toBeNull();
    expect(matchAlert({ ...retrain, services: ['nope'] }, run({ view: 'hourly' }), drifted('flights'), registry)).toBeNull();
    expect(matchAlert(retrain, run({ view: 'hourly' }), drifted('flights'))).toBeNull();
  });

  it('limits per-feature results to the features the service uses, keeping view-level results', () => {
    const narrow = { ...retrain, services: ['narrow_model'] };
    expect(matchAlert(narrow, run({ view: 'hourly' }), drifted('mean_delay'), registry)).toBeNull();
    expect(matchAlert(narrow, run({ view: 'hourly' }), drifted('flights'), registry)).toEqual([result('flights')]);
    const share = (drifted: string[]) => ({ ...result(null), method: 'drift_share', details: { drifted_features: drifted } });
    expect(matchAlert(narrow, run({ view: 'hourly' }), { verdict: 'warn', results: [share(['flights'])] }, registry)).toEqual([share(['flights'])]);
    expect(matchAlert(narrow, run({ view: 'hourly' }), { verdict: 'warn', results: [share(['mean_delay'])] }, registry)).toBeNull();
    const volume = { ...result(null), check: 'anomaly', method: 'volume' };
    expect(matchAlert({ ...narrow, checks: ['anomaly'] }, run({ view: 'hourly' }), { verdict: 'warn', results: [volume] }, registry)).toEqual([volume]);
    // A column that is not a feature of the view (a key) concerns every consumer.
    expect(matchAlert({ ...narrow, checks: ['schema'] }, run({ view: 'hourly' }), { verdict: 'block', results: [result('airport', 'fail', 'schema')] }, registry)).toHaveLength(1);
  });

  it('still matches the service\'s own runs by name and keeps the views filter', () => {
    expect(matchAlert(retrain, run({ kind: 'dataset', service: 'delay_model' }), drifted('hourly__mean_delay'), registry)).toHaveLength(1);
    expect(matchAlert(retrain, run({ kind: 'dataset', service: 'narrow_model' }), drifted('flights'), registry)).toBeNull();
    expect(matchAlert({ ...retrain, views: ['daily'] }, run({ view: 'hourly' }), drifted('mean_delay'), registry)).toBeNull();
    expect(matchAlert({ ...retrain, views: ['daily'] }, run({ view: 'daily' }), drifted('mean_delay'), registry)).toHaveLength(1);
    expect(matchAlert({ ...retrain, services: undefined }, run({ view: 'unused' }), drifted('x'), registry)).toHaveLength(1);
  });
});

describe('matchAlert on run-level statuses', () => {
  it('with checks, matches a run-level status only when one of those checks did not pass', () => {
    const schemaBlocks: AlertConfig = { name: 'schema', url: 'http://127.0.0.1/hook', checks: ['schema'], statuses: ['blocked'] };
    const blockedBy = (check: string) => ({ verdict: 'block' as const, results: [result(null, 'pass', 'schema'), result(null, 'fail', check)] });
    expect(matchAlert(schemaBlocks, run({ view: 'hourly' }), blockedBy('provenance'))).toBeNull();
    expect(matchAlert(schemaBlocks, run({ view: 'hourly' }), blockedBy('schema'))).toEqual([result(null, 'fail', 'schema')]);
    // success or failed with checks: when those checks ran (a write that failed after drift passed still pages).
    const passed = { verdict: 'pass' as const, results: [result('x', 'pass')] };
    expect(matchAlert({ ...schemaBlocks, checks: ['drift'], statuses: ['failed'] }, run({ view: 'hourly', status: 'failed' }), passed)).toEqual([]);
    expect(matchAlert({ ...schemaBlocks, checks: ['drift'], statuses: ['success'] }, run({ view: 'hourly', status: 'success' }), passed)).toEqual([]);
    expect(matchAlert({ ...schemaBlocks, checks: ['pii'], statuses: ['success'] }, run({ view: 'hourly', status: 'success' }), passed)).toBeNull();
  });

  it('with checks, success and failed do not match when those checks were skipped (they did not run)', () => {
    // A view's first materialization has no drift reference: drift is skipped, not run.
    const skippedDrift = { verdict: 'pass' as const, results: [result(null, 'skipped'), result('x', 'pass', 'schema')] };
    const checked: AlertConfig = { name: 'drift_checked_ok', url: 'http://127.0.0.1/hook', checks: ['drift'], statuses: ['success'] };
    expect(matchAlert(checked, run({ view: 'hourly', status: 'success' }), skippedDrift)).toBeNull();
    expect(matchAlert({ ...checked, statuses: ['failed'] }, run({ view: 'hourly', status: 'failed' }), skippedDrift)).toBeNull();
    expect(matchAlert({ ...checked, checks: ['drift.psi'] }, run({ view: 'hourly', status: 'success' }), skippedDrift)).toBeNull();
    // Ran for one feature, skipped for another: it ran.
    const someRan = { verdict: 'pass' as const, results: [result('a', 'skipped'), result('b', 'pass')] };
    expect(matchAlert(checked, run({ view: 'hourly', status: 'success' }), someRan)).toEqual([]);
    // A skipped check is still matched when the alert asks for `skipped` results themselves.
    expect(matchAlert({ ...checked, statuses: ['skipped'] }, run({ view: 'hourly', status: 'success' }), skippedDrift)).toEqual([result(null, 'skipped')]);
  });

  it('a run that failed before its guards judged it matches only an alert on failed runs', () => {
    const failed = run({ view: 'hourly', status: 'failed' });
    expect(matchAlert({ name: 'f', url: 'http://127.0.0.1/hook', statuses: ['failed'] }, failed, NOT_JUDGED)).toEqual([]);
    expect(matchAlert({ name: 'f', url: 'http://127.0.0.1/hook' }, failed, NOT_JUDGED)).toBeNull();
    expect(matchAlert({ name: 'f', url: 'http://127.0.0.1/hook', checks: ['schema'], statuses: ['failed'] }, failed, NOT_JUDGED)).toBeNull();
  });
});

describe('webhookEndpoint', () => {
  it('keeps scheme, host and port, and marks a cut path, query or user info', () => {
    expect(webhookEndpoint('https://hooks.slack.com/services/T0/B0/XyZ')).toBe('https://hooks.slack.com/…');
    expect(webhookEndpoint('http://user:pw@127.0.0.1:8080/?token=x')).toBe('http://127.0.0.1:8080/…');
    expect(webhookEndpoint('https://ml.example.com')).toBe('https://ml.example.com');
    expect(webhookEndpoint('https://ml.example.com/')).toBe('https://ml.example.com');
    expect(webhookEndpoint('not a url')).toBe('(not a URL)');
    // Idempotent: attempts stored before the cut are cut again on the way out.
    for (const u of ['https://hooks.slack.com/services/T0/B0/XyZ', 'https://ml.example.com', 'not a url']) {
      expect(webhookEndpoint(webhookEndpoint(u))).toBe(webhookEndpoint(u));
    }
  });
});
