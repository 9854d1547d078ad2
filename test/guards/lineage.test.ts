/**
 * OpenLineage export of real runs, checked against the structure of the spec
 * (2-0-2 RunEvent; facets with their own schema versions): quality facets on the
 * checked input, not the output. And `provenance.full_hash_max_bytes` reaching
 * the source fingerprints of materializations.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDataset, checkView } from '../../src/guards/check-run.js';
import { materialize } from '../../src/materialize/materialize.js';
import { toOpenLineageRunEvent, type OpenLineageRunEvent } from '../../src/runs/lineage.js';
import type { Run } from '../../src/runs/types.js';
import { DEFAULT_SOURCE, guardBench, type GuardBench } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SPEC = 'https://openlineage.io/spec';
const QUANTILES = ['0.01', '0.05', '0.25', '0.5', '0.75', '0.95', '0.99'];

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

type Json = Record<string, any>;

function exportRun(b: GuardBench, runId: string): OpenLineageRunEvent {
  const p = b.project;
  // Through JSON, as the CLI and the API serve it.
  return JSON.parse(JSON.stringify(toOpenLineageRunEvent(p.runs.get(runId), p.runs.results(runId), { namespace: p.config.project, profiles: p.runs.profiles(runId) })));
}

/** Every spec facet: `_producer` URI and `_schemaURL` pointing at that facet's versioned schema. */
function expectSpecFacet(f: Json | undefined, name: string, version: string): void {
  expect(f, name).toBeDefined();
  expect(f!._producer).toMatch(/^https:\/\//);
  expect(f!._schemaURL).toBe(`${SPEC}/facets/${version}/${name}.json#/$defs/${name}`);
}

/** Structure of a RunEvent and of the quality facets on its checked input (returned). */
function expectRunEvent(e: OpenLineageRunEvent, run: Run, job: { namespace: string; name: string }): { input: Json } {
  expect(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']).toContain(e.eventType);
  expect(new Date(e.eventTime).toISOString()).toBe(e.eventTime);
  expect(e.producer).toMatch(/^https:\/\//);
  expect(e.schemaURL).toBe(`${SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent`);
  expect(e.run.runId).toMatch(UUID);
  expect(e.run.runId).toBe(run.id);
  expect(e.job).toMatchObject(job);
  expectSpecFacet(e.job.facets.jobType as Json, 'JobTypeJobFacet', '2-0-4');
  expect(e.job.facets.jobType).toMatchObject({ processingType: 'BATCH', integration: 'FEATUREGUARD' });
  expectSpecFacet(e.run.facets.nominalTime as Json, 'NominalTimeRunFacet', '1-0-1');

  for (const d of [...e.inputs, ...e.outputs]) {
    expect(typeof d.namespace).toBe('string');
    expect(d.namespace.length).toBeGreaterThan(0);
    expect(typeof d.name).toBe('string');
    expect(d.name.length).toBeGreaterThan(0);
    expect(typeof d.facets).toBe('object');
  }
  // Input dataset facets live on inputs only.
  for (const o of e.outputs) {
    expect(o).not.toHaveProperty('inputFacets');
    expect(o.facets).not.toHaveProperty('dataQualityMetrics');
    expect(o.facets).not.toHaveProperty('dataQualityAssertions');
    expect(o.outputFacets ?? {}).not.toHaveProperty('dataQualityMetrics');
  }
  const checked = e.inputs.filter((i) => i.inputFacets?.dataQualityAssertions);
  expect(checked).toHaveLength(1);
  return { input: checked[0] as Json };
}

/**
 * `schemaOn`: where the profiled columns' schema is: the input itself (`'input'`, its columns), or, for a view's
 * source, read through the view's names, the `featureguardCheckedColumns` facet (`'view'`) and no spec schema.
 */
function expectQualityFacets(b: GuardBench, input: Json, runId: string, schemaOn: 'input' | 'view' = 'input'): void {
  const results = b.project.runs.results(runId);
  const profiles = new Map(b.project.runs.profiles(runId).filter((p) => !p.slice).map((p) => [p.column, p.profile as Json]));

  if (schemaOn === 'view') expect(input.facets).not.toHaveProperty('schema');
  const schema = schemaOn === 'view' ? input.facets.featureguardCheckedColumns : input.facets.schema;
  if (schemaOn === 'input') expectSpecFacet(schema, 'SchemaDatasetFacet', '1-2-0');
  for (const f of schema.fields) {
    expect(typeof f.name).toBe('string');
    expect(typeof f.type).toBe('string');
  }
  expect(schema.fields).toEqual(expect.arrayContaining([{ name: 'delay', type: 'DOUBLE' }, { name: 'carrier', type: 'VARCHAR' }, { name: 'airport', type: 'VARCHAR' }]));

  const m = input.inputFacets.dataQualityMetrics;
  expectSpecFacet(m, 'DataQualityMetricsInputDatasetFacet', '1-0-3');
  expect(m.rowCount).toBe(profiles.get('delay')!.count);
  expect([null, m.rowCount]).toContain(b.project.runs.get(runId).rows_in);
  expect(Object.keys(m.columnMetrics).sort()).toEqual([...profiles.keys()].sort());
  const delay = m.columnMetrics.delay;
  const p = profiles.get('delay')!;
  expect(delay).toMatchObject({ nullCount: 0, count: m.rowCount, min: p.min, max: p.max });
  expect(Number.isInteger(delay.nullCount) && Number.isInteger(delay.distinctCount)).toBe(true);
  expect(Object.keys(delay.quantiles)).toEqual(QUANTILES);
  expect(delay.quantiles['0.5']).toBe(p.quantiles.p50);
  expect(delay.quantiles['0.99']).toBe(p.quantiles.p99);
  expect(delay.min).toBeLessThanOrEqual(delay.quantiles['0.01']);
  expect(delay.quantiles['0.99']).toBeLessThanOrEqual(delay.max);
  // Not numbers, so no min/max/quantiles (the spec types them as numbers).
  expect(m.columnMetrics.carrier).not.toHaveProperty('min');
  expect(m.columnMetrics.event_timestamp).not.toHaveProperty('max');
  // Distinct values are not counted for timestamps: none reported (it said 0).
  expect([profiles.get('event_timestamp')!.distinct, m.columnMetrics.event_timestamp]).toEqual([null, expect.not.objectContaining({ distinctCount: expect.anything() })]);
  for (const c of Object.values(m.columnMetrics) as Json[]) {
    for (const v of Object.values(c)) if (typeof v !== 'object') expect(typeof v).toBe('number');
  }

  const a = input.inputFacets.dataQualityAssertions;
  expectSpecFacet(a, 'DataQualityAssertionsDatasetFacet', '1-1-0');
  const counted = results.filter((r) => r.status !== 'skipped');
  expect(a.assertions).toHaveLength(counted.length);
  for (const x of a.assertions) {
    expect(typeof x.assertion).toBe('string');
    expect(typeof x.success).toBe('boolean');
    if ('column' in x) expect(typeof x.column).toBe('string');
  }
  expect(a.assertions).toContainEqual(expect.objectContaining({ assertion: 'schema.type', column: 'delay', success: true, severity: 'error' }));
  expect(a.assertions.filter((x: Json) => !x.success)).toHaveLength(counted.filter((r) => r.status !== 'pass').length);
}

describe('OpenLineage export', () => {
  it('puts schema, dataQualityMetrics and dataQualityAssertions on the source a materialization read', async () => {
    bench = await guardBench();
    const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    expect(r.status).toBe('success');
    const run = r.run!;
    const e = exportRun(bench, run.id);
    expect(e.eventType).toBe('COMPLETE');
    expect(e.eventTime).toBe(run.finished_at);
    const { input } = expectRunEvent(e, run, { namespace: 'guards_test', name: 'materialize:delays' });
    expect(e.inputs).toHaveLength(1);
    expect(input).toMatchObject({ namespace: 'file', name: join(bench.dir, 'data', 'rows.parquet') });
    expect(input.facets.featureguardFingerprint.files[0]).toMatchObject({ path: 'data/rows.parquet', partial: false });
    expectQualityFacets(bench, input, run.id, 'view');
    expect(e.outputs).toHaveLength(1);
    expect(e.outputs[0]).toMatchObject({ namespace: 'featureguard://guards_test', name: '/online/delays', facets: {} });
    expectSpecFacet(e.outputs[0].outputFacets?.outputStatistics as Json, 'OutputStatisticsOutputDatasetFacet', '1-0-2');
    expect(e.outputs[0].outputFacets?.outputStatistics).toMatchObject({ rowCount: 3 });
  });

  it('exports a blocked materialization as FAIL with the failing assertions on its input', async () => {
    bench = await guardBench();
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN hour(ts) = 0 THEN NULL ELSE airport END AS airport) FROM (${DEFAULT_SOURCE})`);
    const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    expect(r.status).toBe('blocked');
    const e = exportRun(bench, r.run!.id);
    expect(e.eventType).toBe('FAIL');
    expectSpecFacet(e.run.facets.errorMessage as Json, 'ErrorMessageRunFacet', '1-0-1');
    const { input } = expectRunEvent(e, r.run!, { namespace: 'guards_test', name: 'materialize:delays' });
    expect(input.inputFacets.dataQualityAssertions.assertions).toContainEqual(expect.objectContaining({ assertion: 'schema.null_key', column: 'airport', success: false, severity: 'error' }));
    expect(input.inputFacets.dataQualityMetrics.columnMetrics.airport.nullCount).toBe(7);
  });

  it('a check run records the view\'s source as its input and exports no output', async () => {
    bench = await guardBench();
    const c = await checkView(bench.project, { view: 'delays', start: '2024-01-01', end: '2024-01-08', now: new Date('2024-02-15T00:00:00Z') });
    const e = exportRun(bench, c.run.id);
    const { input } = expectRunEvent(e, c.run, { namespace: 'guards_test', name: 'check:delays' });
    expect(e.outputs).toEqual([]);
    expect(e.inputs).toHaveLength(1);
    expect(input).toMatchObject({ namespace: 'file', name: join(bench.dir, 'data', 'rows.parquet') });
    expect(input.facets.featureguardFingerprint).toMatchObject({ source: 'rows', kind: 'file' });
    expectQualityFacets(bench, input, c.run.id, 'view');
  });

  it('a run recorded without lineage exports the checked rows as its input', async () => {
    bench = await guardBench();
    const g = await bench.runWindow('2024-01-01', '2024-01-08', { kind: 'check' });
    const run = bench.project.runs.get(g.runId)!;
    const e = exportRun(bench, run.id);
    const { input } = expectRunEvent(e, run, { namespace: 'guards_test', name: 'check:delays' });
    expect(input).toMatchObject({ namespace: 'featureguard://guards_test', name: '/view/delays' });
    expectQualityFacets(bench, input, run.id);
  });

  it('a dataset check exports the dataset file it read as its input', async () => {
    bench = await guardBench({ services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }] });
    const file = join(bench.dir, 'train.parquet');
    await bench.conn.run(`COPY (SELECT airport, ts AS event_timestamp, delay, carrier FROM (${DEFAULT_SOURCE})) TO '${file}' (FORMAT parquet)`);
    const c = await checkDataset(bench.project, { file, service: 'svc' });
    const e = exportRun(bench, c.run.id);
    const { input } = expectRunEvent(e, c.run, { namespace: 'guards_test', name: 'check:svc' });
    expect(e.inputs).toHaveLength(1);
    expect(input).toMatchObject({ namespace: 'file', name: file });
    expect(input.inputFacets.dataQualityMetrics.columnMetrics.delay.count).toBe(24 * 31);
    expect(e.outputs).toEqual([]);
  });

  it('a dataset check records the content it judged: the file\'s SHA-256 and size, its manifest\'s, the definitions, who ran it', async () => {
    bench = await guardBench({ services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }] });
    const file = join(bench.dir, 'train.parquet');
    await bench.conn.run(`COPY (SELECT airport, ts AS event_timestamp, delay, carrier FROM (${DEFAULT_SOURCE})) TO '${file}' (FORMAT parquet)`);
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    const c = await checkDataset(bench.project, { file, service: 'svc' });
    const run = bench.project.runs.get(c.run.id);
    expect(run.lineage).toMatchObject({
      job: 'check:svc',
      inputs: [{ name: 'dataset', kind: 'file', uri: `file://${file}`, fingerprint: { files: [{ path: file, size: statSync(file).size, sha256: sha, partial: false }] } }],
      output: null,
      package_version: expect.any(String), host: expect.any(String), user: expect.any(String),
    });
    expect(Object.keys(run.lineage!.definition_versions).sort()).toEqual(['entity/airport', 'feature_service/svc', 'feature_view/delays', 'source/rows']);
    const e = exportRun(bench, c.run.id);
    expect(e.run.facets.featureguard).toMatchObject({ definition_versions: run.lineage!.definition_versions, package_version: expect.any(String), user: expect.any(String) });
    expect((e.inputs[0].facets.featureguardFingerprint as Json).files[0].sha256).toBe(sha);
  });
});

/** SHA-256 of size, mtime and the first and last MiB, as fingerprintFile computes a partial hash. */
function partialSha(path: string): string {
  const st = statSync(path);
  const buf = readFileSync(path);
  const MIB = 1024 * 1024;
  return createHash('sha256').update(`size=${st.size};mtime=${st.mtime.toISOString()};`).update(buf.subarray(0, MIB)).update(buf.subarray(Math.max(0, st.size - MIB))).digest('hex');
}

describe('provenance.full_hash_max_bytes', () => {
  const fileFp = (run: Run | null) => (run!.lineage!.inputs[0].fingerprint as { files: Json[] }).files[0];

  it('gives a source file above the project limit a partial fingerprint, labelled as such', async () => {
    bench = await guardBench({ quality: { provenance: { full_hash_max_bytes: 1024 } } });
    const file = join(bench.dir, 'data', 'rows.parquet');
    expect(statSync(file).size).toBeGreaterThan(1024);
    const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    expect(fileFp(r.run)).toEqual({ path: 'data/rows.parquet', size: statSync(file).size, mtime: statSync(file).mtime.toISOString(), sha256: partialSha(file), partial: true });
  });

  it('takes the view\'s own limit over the project\'s, and hashes in full under the default', async () => {
    bench = await guardBench({ quality: { provenance: { full_hash_max_bytes: 1 } }, viewQuality: { provenance: { full_hash_max_bytes: 1024 * 1024 } } });
    const file = join(bench.dir, 'data', 'rows.parquet');
    const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    expect(fileFp(r.run)).toMatchObject({ partial: false, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') });
    await bench.close();

    bench = await guardBench({ viewQuality: { provenance: { full_hash_max_bytes: 1024 } } });
    const [v] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    expect(fileFp(v.run)).toMatchObject({ partial: true, sha256: partialSha(join(bench.dir, 'data', 'rows.parquet')) });
  });
});
