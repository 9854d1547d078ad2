/**
 * Dataset manifests and dataset runs on real builds: the manifest keeps every
 * field of each check result (QUALITY-CHECKS.md §1), sources are fingerprinted
 * under `provenance.full_hash_max_bytes`, and the OpenLineage export of a build
 * puts its quality facets on the entity rows the features were joined to.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planDataset } from '../../src/offline/dataset-plan.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { manifestCheckResult, readManifest, startSourceFingerprints } from '../../src/offline/manifest.js';
import { toOpenLineageRunEvent } from '../../src/runs/lineage.js';
import { guardBench, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** Entity rows for the bench's `delays` view: every airport, every 6 hours of January 2024. */
const ENTITIES = Array.from({ length: 4 * 30 }, (_, i) => ({
  airport: ['SEA', 'JFK', 'LAX'][i % 3],
  event_timestamp: new Date(Date.UTC(2024, 0, 1, 6 * i + 1)).toISOString(),
}));

describe('dataset manifest', () => {
  it('keeps run_id, check, feature, slice, status, method, value, thresholds, metrics, message and details of every result', async () => {
    bench = await guardBench({ services: [{ kind: 'feature_service', name: 'delay_model', features: ['delays'] }] });
    const out = join(bench.dir, 'out', 'ds.parquet');
    const res = await getHistoricalFeatures(bench.project, { entities: ENTITIES, service: 'delay_model', out, allowFailedChecks: true });
    const m = readManifest(`${out}.manifest.json`);
    const log = bench.project.runs.results(res.run.id);
    expect(log.length).toBeGreaterThan(5);
    // The same records as the quality log, field for field.
    expect(m.checks.results).toEqual(JSON.parse(JSON.stringify(log.map(manifestCheckResult))));
    for (const r of m.checks.results) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['run_id', 'check', 'feature', 'slice', 'status', 'method', 'value', 'thresholds', 'metrics', 'message', 'details']));
      expect(r.run_id).toBe(res.run.id);
    }
    // Checks of one family stay apart by their method, with their numbers.
    const leakage = m.checks.results.filter((r) => r.check === 'leakage');
    expect(new Set(leakage.map((r) => r.method)).size).toBeGreaterThan(1);
    const pii = leakage.find((r) => r.method === 'pii' && r.feature === 'carrier')!;
    expect(pii).toMatchObject({ status: 'pass', thresholds: { min_share: 0.01 }, metrics: expect.objectContaining({ sampled_values: expect.any(Number) }) });
    const schemaType = m.checks.results.find((r) => r.check === 'schema' && r.method === 'type' && r.feature === 'delay')!;
    expect(schemaType.details).toMatchObject({ declared: 'float64' });
  });

  it('leaves bulky arrays out of the details', () => {
    const r = {
      run_id: 'r', check: 'drift', feature: 'delay', slice: null, status: 'warn' as const, policy: 'warn' as const, method: 'psi', value: 0.13,
      thresholds: { warn: 0.1, fail: 0.25 }, metrics: { psi: 0.13, ks_statistic: 0.08 }, message: 'delay shifted',
      details: { reference: 'previous', n_ref: 100, n_cur: 120, drifted: false, histogram: { edges: [1, 2], reference: [1, 2, 3], current: [3, 2, 1] }, categories: { values: ['a'], reference: [1], current: [1] }, examples: { email: ['a***@x.com'] } },
    };
    expect(manifestCheckResult(r)).toEqual({ ...r, details: { reference: 'previous', n_ref: 100, n_cur: 120, drifted: false } });
    expect(manifestCheckResult({ ...r, details: null }).details).toBeNull();
  });

  it('fingerprints a source file above the view\'s full_hash_max_bytes partially, labelled as such', async () => {
    bench = await guardBench({ viewQuality: { provenance: { full_hash_max_bytes: 1024 } } });
    const file = join(bench.dir, 'data', 'rows.parquet');
    expect(statSync(file).size).toBeGreaterThan(1024);
    const out = join(bench.dir, 'ds.parquet');
    await getHistoricalFeatures(bench.project, { entities: ENTITIES, features: ['delays:delay'], out, allowFailedChecks: true });
    const m = readManifest(`${out}.manifest.json`);
    expect(m.sources).toHaveLength(1);
    expect(m.sources[0].fingerprint).toMatchObject({ files: [{ path: 'data/rows.parquet', size: statSync(file).size, partial: true }] });
  });

  it('takes the project\'s full_hash_max_bytes, overridden per view', async () => {
    bench = await guardBench({ quality: { provenance: { full_hash_max_bytes: 1024 } } });
    const set = bench.project.registry.current();
    const engine = await bench.project.engine();
    const plan = planDataset(bench.project.sourceRoots, set, { features: ['delays:delay'] });
    const partial = (await startSourceFingerprints(engine, bench.project.root, plan, bench.project.config.quality))[0];
    expect(partial.fingerprint).toMatchObject({ files: [{ partial: true }] });
    const full = (await startSourceFingerprints(engine, bench.project.root, plan))[0];
    expect(full.fingerprint).toMatchObject({ files: [{ partial: false }] });
    const viewPlan = { ...plan, views: plan.views.map((v) => ({ ...v, view: { ...v.view, quality: { provenance: { full_hash_max_bytes: 1 << 30 } } } })) };
    expect((await startSourceFingerprints(engine, bench.project.root, viewPlan, bench.project.config.quality))[0].fingerprint).toMatchObject({ files: [{ partial: false }] });
  });

  it('exports a dataset build with its quality facets on the entity rows', async () => {
    bench = await guardBench();
    const out = join(bench.dir, 'ds.parquet');
    const res = await getHistoricalFeatures(bench.project, { entities: ENTITIES, features: ['delays:delay'], out, allowFailedChecks: true });
    const p = bench.project;
    const e = JSON.parse(JSON.stringify(toOpenLineageRunEvent(p.runs.get(res.run.id), p.runs.results(res.run.id), { namespace: 'guards_test', profiles: p.runs.profiles(res.run.id) })));
    expect(e.job).toEqual(expect.objectContaining({ namespace: 'guards_test', name: 'dataset:features' }));
    expect(e.inputs.map((i: { namespace: string; name: string }) => [i.namespace, i.name])).toEqual([['file', join(bench.dir, 'data', 'rows.parquet')], ['memory', expect.stringMatching(/^rows\/\d+$/)]]);
    const [source, entities] = e.inputs;
    expect(source.inputFacets).toBeUndefined();
    expect(entities.inputFacets.dataQualityMetrics.rowCount).toBe(ENTITIES.length);
    expect(Object.keys(entities.inputFacets.dataQualityMetrics.columnMetrics)).toEqual(expect.arrayContaining(['airport', 'delay']));
    expect(entities.inputFacets.dataQualityAssertions.assertions.length).toBeGreaterThan(3);
    // The schema of the checked rows is the training set's: on the output, not on the entity rows (airport, event_timestamp).
    expect(entities.facets).not.toHaveProperty('schema');
    expect(e.outputs[0].facets.schema.fields).toContainEqual({ name: 'delay', type: 'DOUBLE' });
    expect(e.outputs[0].facets.schema._schemaURL).toMatch(/SchemaDatasetFacet/);
    expect(e.outputs).toEqual([{ namespace: 'file', name: out, facets: { schema: expect.anything() }, outputFacets: expect.objectContaining({ outputStatistics: expect.objectContaining({ rowCount: ENTITIES.length }) }) }]);
  });
});
