/**
 * A CSV source is text: a value that is no value of its feature's declared type
 * (`abc` in an int64 column) fails the schema check with a count, instead of
 * being read as NULL and passing. A blocked run leaves the online store as it was.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { materialize } from '../../src/materialize/materialize.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { openProject, type Project } from '../../src/project.js';
import { getOnlineFeatures } from '../../src/serving/online-features.js';

let dir: string;
let project: Project;
const csv = (rows: string[]) => writeFileSync(join(dir, 'data', 'stats.csv'), `store,ts,sales,note\n${rows.join('\n')}\n`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fg-csv-guard-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: csv_guard\n');
  csv(['s1,2024-01-01T01:00:00Z,10,a', 's2,2024-01-01T02:00:00Z,20,b']);
  project = openProject(dir);
  project.registry.apply([
    defineEntity({ name: 'store', join_keys: [{ name: 'store', type: 'string' }] }),
    defineSource({ name: 'stats_src', path: 'data/stats.csv', timestamp_field: 'ts' }),
    defineFeatureView({ name: 'stats', entities: ['store'], source: 'stats_src', online: true, features: [{ name: 'sales', type: 'int64' }, { name: 'note', type: 'string' }] }),
  ]);
});
afterAll(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sales = async () => (await getOnlineFeatures(project, { features: ['stats:sales'], entities: { store: ['s1', 's2'] } })).results[1].values;

describe('a CSV source', () => {
  it('passes when every value parses, and blocks on text that is no int64, naming the feature and the count', async () => {
    const [ok] = await materialize(project, { start: '2024-01-01', end: '2024-01-02', views: ['stats'] });
    expect(ok.status).not.toBe('blocked');
    expect(ok.checks.find((r) => r.check === 'schema' && r.method === 'type' && r.feature === 'sales')).toMatchObject({ status: 'pass' });
    expect(await sales()).toEqual([10, 20]);

    csv(['s1,2024-01-02T01:00:00Z,abc,a', 's2,2024-01-02T02:00:00Z,21,b', 's2,2024-01-02T03:00:00Z,2x,c']);
    const [bad] = await materialize(project, { start: '2024-01-02', end: '2024-01-03', views: ['stats'] });
    expect(bad.status).toBe('blocked');
    expect(bad.checks.find((r) => r.check === 'schema' && r.method === 'type' && r.feature === 'sales')).toMatchObject({
      status: 'fail', value: 2, message: "2 row(s) of sales hold CSV text that is no int64 value, e.g. 'abc', '2x' (it would be read as null)", details: { examples: ['abc', '2x'] },
    });
    // The hidden column is no data: not an extra column, not profiled.
    expect(bad.checks.some((r) => r.feature === '__fg_csv_unparsed')).toBe(false);
    expect(project.runs.profiles(bad.run!.id).map((p) => p.column)).not.toContain('__fg_csv_unparsed');
    expect(await sales()).toEqual([10, 20]);

    // Missing-value markers (NA, N/A, NULL, None, empty) are nulls in a numeric column, not unparsed text;
    // a string column keeps them as values (NA is Namibia).
    csv(['s1,2024-01-03T01:00:00Z,NA,NA', 's2,2024-01-03T02:00:00Z, n/a ,b', 's1,2024-01-03T03:00:00Z,,c']);
    const [markers] = await materialize(project, { start: '2024-01-03', end: '2024-01-04', views: ['stats'] });
    expect(markers.checks.find((r) => r.check === 'schema' && r.method === 'type' && r.feature === 'sales')).toMatchObject({ status: 'pass' });
    expect(project.runs.profile(markers.run!.id, 'sales')).toMatchObject({ count: 3, nulls: 3 });
    expect((project.runs.profile(markers.run!.id, 'note') as { nulls: number }).nulls).toBe(0);
    // A dataset build reads the markers the same way (it used to fail on 'NA' with a conversion error).
    const ds = await getHistoricalFeatures(project, { entities: [{ store: 's1', event_timestamp: '2024-01-03T01:30:00Z' }], features: ['stats:sales', 'stats:note'], disableGuards: true });
    expect([ds.table!.getChild('sales')!.get(0), ds.table!.getChild('note')!.get(0)]).toEqual([null, 'NA']);
  });
});
