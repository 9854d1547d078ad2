/**
 * One OpenLineage name per dataset, whatever the run kind and its outcome: a view's online values are the same
 * dataset for a materialization, a push, a refused push and a failed materialization; the file a push appends is
 * the source a materialization reads; local files are in namespace `file` (OpenLineage's naming convention); a
 * dataset build never writes the online store, failed or not. And what a run that wrote nothing, or whose results
 * were pruned, says about it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { pruneRuns } from '../../src/runs/prune.js';
import { runReport } from '../../src/runs/run-report.js';
import { toOpenLineageRunEvent, type OpenLineageRunEvent } from '../../src/runs/lineage.js';
import { push } from '../../src/serving/push.js';
import { guardBench, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

function exportRun(b: GuardBench, runId: string, namespace?: string): OpenLineageRunEvent {
  const p = b.project;
  return JSON.parse(JSON.stringify(toOpenLineageRunEvent(p.runs.get(runId), p.runs.results(runId), { namespace: namespace ?? p.config.project, project: p.config.project, profiles: p.runs.profiles(runId) })));
}
const names = (ds: readonly { namespace: string; name: string }[]) => ds.map((d) => [d.namespace, d.name]);

const ONLINE = ['featureguard://guards_test', '/online/delays'];

describe('dataset names across run kinds', () => {
  it('names the online values, the source and the pushed file alike in every run', async () => {
    bench = await guardBench({ sourceGlob: true });
    const source = ['file', join(bench.dir, 'data', 'rows', '*.parquet')];
    const [m] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    const mat = exportRun(bench, m.run!.id);
    expect(names(mat.inputs)).toEqual([source]);
    expect(names(mat.outputs)).toEqual([ONLINE]);

    const row = { airport: 'SEA', event_timestamp: '2024-01-31T12:00:00Z', delay: 10, carrier: 'AA' };
    const online = await push(bench.project, { view: 'delays', rows: [row], to: 'online' });
    expect(names(exportRun(bench, online.run_id).outputs)).toEqual([ONLINE]);
    const both = await push(bench.project, { view: 'delays', rows: [{ ...row, event_timestamp: '2024-01-31T13:00:00Z' }], to: 'both' });
    // The appended file is the source the next materialization reads: one dataset, linking the two runs.
    expect(names(exportRun(bench, both.run_id).outputs)).toEqual([ONLINE, source]);
    expect(bench.project.runs.get(both.run_id).options).toMatchObject({ file: both.file });

    // A push refused for rows that do not fit the view, and a materialization that failed before it read its source.
    const refused = await push(bench.project, { view: 'delays', rows: [{ ...row, airport: null }], to: 'online' }).catch((e: { details: { run_id: string } }) => e.details.run_id);
    expect(typeof refused).toBe('string');
    expect(names(exportRun(bench, refused as string).outputs)).toEqual([ONLINE]);
    renameSync(join(bench.dir, 'data', 'rows'), join(bench.dir, 'data', 'gone'));
    const [f] = await materialize(bench.project, { start: '2024-01-08', end: '2024-01-09', views: ['delays'] });
    expect(f.status).toBe('failed');
    const failed = exportRun(bench, f.run!.id);
    expect(failed.eventType).toBe('FAIL');
    expect(names(failed.inputs)).toEqual([source]);
    expect(names(failed.outputs)).toEqual([ONLINE]);
    expect(bench.project.runs.get(f.run!.id).lineage?.definition_versions).toHaveProperty('feature_view/delays');

    // A job namespace set apart (`lineage export --namespace`) names the job, not the datasets.
    expect(names(exportRun(bench, m.run!.id, 'elsewhere').outputs)).toEqual([ONLINE]);
  });

  it('names a run killed before it recorded lineage by the datasets its kind writes; a dataset build never the online store', async () => {
    bench = await guardBench({ services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }] });
    const killed = bench.project.runs.create({ kind: 'materialize', view: 'delays' });
    expect(names(exportRun(bench, killed.id).outputs)).toEqual([ONLINE]);
    const build = bench.project.runs.create({ kind: 'dataset', service: 'svc' });
    expect(exportRun(bench, build.id).outputs).toEqual([]);

    // A build that fails once running (its source file unreadable; an entity input that cannot be read is refused
    // before any run is recorded).
    writeFileSync(join(bench.dir, 'data', 'rows.parquet'), 'not a parquet file');
    const sql = "SELECT 'SEA' AS airport, TIMESTAMP '2024-01-10' AS event_timestamp";
    const err = await getHistoricalFeatures(bench.project, { service: 'svc', entities: { kind: 'sql', sql }, out: join(bench.dir, 'out', 'd.parquet'), baseDir: bench.dir }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const [run] = bench.project.runs.list({ kind: 'dataset', status: 'failed' }).runs;
    const e = exportRun(bench, run.id);
    expect(e.outputs.filter((o) => o.namespace.startsWith('featureguard://'))).toEqual([]);
    expect(names(e.inputs)).toEqual([['file', join(bench.dir, 'data', 'rows.parquet')], ['sql', sql]]);
    expect(run.lineage?.definition_versions).toHaveProperty('feature_service/svc');
  });
});

describe('a dataset build that writes nothing', () => {
  it('records the files it was asked to write, not an in-memory phantom', async () => {
    bench = await guardBench({
      services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }],
      // Every delay is above 1: the schema check blocks the build.
      features: [{ name: 'delay', type: 'float64', max: 1 }, { name: 'carrier', type: 'string' }],
    });
    const entities = [{ airport: 'SEA', event_timestamp: '2024-01-10T00:00:00Z' }, { airport: 'JFK', event_timestamp: '2024-01-20T00:00:00Z' }];
    const out = join(bench.dir, 'out', 'b.parquet');
    const res = await getHistoricalFeatures(bench.project, { service: 'svc', entities, out, testFraction: 0.5 });
    expect(res.status).toBe('blocked');
    const run = bench.project.runs.get(res.run.id);
    expect(run.options).toMatchObject({ out });
    expect(run.lineage).toMatchObject({
      output: { kind: 'dataset:parquet', uri: `file://${join(bench.dir, 'out', 'b.train.parquet')}`, rows: 0 },
      other_outputs: [{ kind: 'dataset:parquet', uri: `file://${join(bench.dir, 'out', 'b.test.parquet')}`, rows: 0 }],
    });
    const e = exportRun(bench, run.id);
    expect(e.eventType).toBe('FAIL');
    expect(names(e.outputs)).toEqual([['file', join(bench.dir, 'out', 'b.train.parquet')], ['file', join(bench.dir, 'out', 'b.test.parquet')]]);
    expect(e.outputs.map((o) => (o.outputFacets?.outputStatistics as { rowCount: number }).rowCount)).toEqual([0, 0]);

    // A failed build names them too.
    writeFileSync(join(bench.dir, 'data', 'rows.parquet'), 'not a parquet file');
    await getHistoricalFeatures(bench.project, { service: 'svc', entities, out: join(bench.dir, 'out', 'c.parquet') }).catch(() => undefined);
    const [failed] = bench.project.runs.list({ kind: 'dataset', status: 'failed' }).runs;
    expect(failed.options).toMatchObject({ out: join(bench.dir, 'out', 'c.parquet') });
    expect(names(exportRun(bench, failed.id).outputs)).toEqual([['file', join(bench.dir, 'out', 'c.parquet')]]);
  });
});

describe('a run whose check results were pruned', () => {
  it('says so in its report and its OpenLineage export, with no empty assertion list', async () => {
    bench = await guardBench();
    const [m] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    const id = m.run!.id;
    expect(runReport(bench.project, id).results_pruned).toBe(false);
    expect(exportRun(bench, id).inputs[0].inputFacets).toHaveProperty('dataQualityAssertions');
    // It holds the newest tamper checksums of its days: cut to its summary, not removed.
    const pruned = pruneRuns(bench.project.state, { before: new Date(Date.now() + 1000).toISOString(), keep: 0 });
    expect(pruned.trimmed).toBe(1);
    const report = runReport(bench.project, id);
    expect([report.results, report.results_pruned, report.run.counts.pass > 0]).toEqual([[], true, true]);
    const e = exportRun(bench, id);
    expect(e.inputs[0].inputFacets ?? {}).not.toHaveProperty('dataQualityAssertions');
    expect(e.run.facets.featureguard).toMatchObject({ results_pruned: true });
  });
});
