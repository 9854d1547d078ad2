/**
 * An offline push appends rows to the view's source, which every view reading that
 * source reads too: rows lacking a column another view needs would be null there
 * and, being newer, hide its real values (in datasets, and online once
 * materialized). Such a push is refused and writes nothing; one whose rows carry
 * every column the other views read is appended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../src/sdk/index.js';
import { openPushProject, type PushProject } from './push-project.js';

let fs: FeatureStore;

const view = (name: string, features: string[]) => `---
kind: feature_view
name: ${name}
entities: [airport]
source: hourly
online: true
features: [${features.map((f) => `{name: ${f}, type: float64}`).join(', ')}]
`;

let project: PushProject;
beforeAll(async () => {
  project = await openPushProject('push_shared', `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: hourly
path: data/hourly/*.parquet
timestamp_field: hour
${view('both', ['a', 'b'])}${view('only_a', ['a'])}`, {
    parquet: { 'hourly/part-0.parquet': `SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01 01:00:00' AS hour, 1.0::DOUBLE AS a, 2.0::DOUBLE AS b` },
  });
  fs = project.fs;
});

afterAll(async () => {
  await project?.close();
});

const at3 = async () => {
  const ds = await fs.getHistoricalFeatures({ entities: [{ origin: 'SEA', event_timestamp: '2024-01-01T03:00:00Z' }], features: ['both:a', 'both:b'] });
  return [...ds.table!.getChild('a')!, ...ds.table!.getChild('b')!];
};

describe('offline push into a source other views read', () => {
  it("is refused when its rows lack a column another view reads (that view's real value would be hidden by a null), and writes nothing", async () => {
    const e = await fs.push({ view: 'only_a', rows: [{ origin: 'SEA', event_timestamp: '2024-01-01T02:00:00Z', a: 5 }], to: 'both' }).then(() => null, (x: unknown) => x);
    expect(e).toMatchObject({ code: 'offline_push_shared_source', status: 400, details: { view: 'only_a', source: 'hourly', other_views: [{ view: 'both', columns: ['b'] }] } });
    expect((e as Error).message).toMatch(/source 'hourly' is also read by 'both' \(b\)/);
    expect(project.files('hourly')).toEqual(['part-0.parquet']);
    expect(await at3()).toEqual([1, 2]);
    expect((await fs.getOnlineFeatures({ features: ['only_a:a'], entities: { origin: ['SEA'] } })).results[1].statuses).toEqual(['NOT_FOUND']);
    // Online only is fine: nothing is appended to the source.
    expect((await fs.push({ view: 'only_a', rows: [{ origin: 'SEA', event_timestamp: '2024-01-01T02:00:00Z', a: 5 }], to: 'online' })).status).toBe('success');
  });

  it('appends rows that carry every column the other views read', async () => {
    const r = await fs.push({ view: 'both', rows: [{ origin: 'SEA', event_timestamp: '2024-01-01T02:00:00Z', a: 5, b: 6 }], to: 'offline' });
    expect(r.status).toBe('success');
    expect(await at3()).toEqual([5, 6]);
  });
});

describe('offline push into files a second source reads', () => {
  let other: PushProject;
  beforeAll(async () => {
    other = await openPushProject('push_shared_files', `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: hourly
path: data/hourly/*.parquet
timestamp_field: hour
---
kind: source
name: hourly_segments
path: data/**/*.parquet
timestamp_field: hour
---
kind: source
name: daily
path: data/daily/*.parquet
timestamp_field: hour
${view('delays', ['a'])}---
kind: feature_view
name: segment
entities: [airport]
source: hourly_segments
features: [{name: seg, type: string}]
---
kind: feature_view
name: daily_b
entities: [airport]
source: daily
features: [{name: b, type: float64}]
`, {
      parquet: {
        'hourly/part-0.parquet': `SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01 01:00:00' AS hour, 1.0::DOUBLE AS a, 'gold' AS seg`,
        'daily/part-0.parquet': `SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01 01:00:00' AS hour, 2.0::DOUBLE AS b, 'gold' AS seg`,
      },
    });
  });
  afterAll(async () => {
    await other?.close();
  });

  it("is refused when another source's path takes the appended file and its view reads a column the rows lack (not only a view of the same source)", async () => {
    const e = await other.fs.push({ view: 'delays', rows: [{ origin: 'SEA', event_timestamp: '2024-01-01T02:00:00Z', a: 5 }], to: 'both' }).then(() => null, (x: unknown) => x);
    expect(e).toMatchObject({ code: 'offline_push_shared_source', status: 400, details: { view: 'delays', source: 'hourly', other_views: [{ view: 'segment', source: 'hourly_segments', columns: ['seg'] }] } });
    expect((e as Error).message).toMatch(/also read by 'segment' \(seg; through source 'hourly_segments', over the same files\)/);
    expect(other.files('hourly')).toEqual(['part-0.parquet']);
    const ds = await other.fs.getHistoricalFeatures({ entities: [{ origin: 'SEA', event_timestamp: '2024-01-01T03:00:00Z' }], features: ['segment:seg'] });
    expect([...ds.table!.getChild('seg')!]).toEqual(['gold']);
  });
});

describe("offline push into files a second source reads with other time columns", () => {
  let other: PushProject;
  beforeAll(async () => {
    other = await openPushProject('push_shared_times', `kind: entity
name: user
join_keys: [{name: id, type: int64}]
---
kind: source
name: s1
path: data/ev/*.parquet
timestamp_field: event_time
---
kind: source
name: by_ts
path: data/ev/*.parquet
timestamp_field: ts
---
kind: source
name: renamed
path: data/ev/*.parquet
timestamp_field: at
field_mapping: {event_time: at}
---
kind: source
name: loaded
path: data/ev/*.parquet
timestamp_field: event_time
created_timestamp_field: loaded_at
---
kind: feature_view
name: a
entities: [user]
source: s1
features: [{name: x, type: float64}]
---
kind: feature_view
name: b
entities: [user]
source: by_ts
features: [{name: x, type: float64}]
---
kind: feature_view
name: c
entities: [user]
source: renamed
features: [{name: x, type: float64}]
---
kind: feature_view
name: d
entities: [user]
source: loaded
features: [{name: x, type: float64}]
`, {
      parquet: { 'ev/base.parquet': `SELECT 1::BIGINT AS id, TIMESTAMP '2024-01-01 01:00:00' AS event_time, TIMESTAMP '2024-01-01 01:00:00' AS ts, TIMESTAMP '2024-01-01 01:00:00' AS loaded_at, 1.0::DOUBLE AS x` },
    });
  });
  afterAll(async () => {
    await other?.close();
  });

  it("is refused when another source over the files reads its event or created time from a column the rows lack (the row would have a NULL time there, and that view would never see it)", async () => {
    const e = await other.fs.push({ view: 'a', rows: [{ id: 7, event_timestamp: '2024-03-01T00:00:00Z', x: 99.5 }], to: 'offline' }).then(() => null, (x: unknown) => x);
    expect(e).toMatchObject({
      code: 'offline_push_shared_source',
      details: { other_views: [{ view: 'b', source: 'by_ts', columns: ['ts'] }, { view: 'd', source: 'loaded', columns: ['loaded_at'] }] },
    });
    expect((e as Error).message).toMatch(/'b' \(ts; through source 'by_ts', over the same files\)/);
    expect(other.files('ev')).toEqual(['base.parquet']);
  });
});

describe('offline push into files a query source reads', () => {
  let other: PushProject;
  const query = (name: string, sql: string) => `---
kind: source
name: ${name}
query: "${sql}"
timestamp_field: event_time
`;
  const reader = (name: string, source: string, feature: string) => `---
kind: feature_view
name: ${name}
entities: [user]
source: ${source}
features: [{name: ${feature}, type: float64}]
`;
  beforeAll(async () => {
    other = await openPushProject('push_shared_query', `kind: entity
name: user
join_keys: [{name: id, type: int64}]
---
kind: source
name: s1
path: data/ev/*.parquet
timestamp_field: event_time
${query('reads_ev', "SELECT * FROM read_parquet('data/ev/*.parquet', union_by_name = true)")}${query('elsewhere', "SELECT * FROM 'data/other/*.parquet'")}${query('computed', "SELECT * FROM read_parquet('data/' || 'ev/*.parquet')")}${reader('a', 's1', 'x')}${reader('needs_y', 'reads_ev', 'y')}${reader('needs_x', 'reads_ev', 'x')}${reader('other_y', 'elsewhere', 'y')}${reader('maybe_y', 'computed', 'y')}`, {
      parquet: {
        'ev/base.parquet': `SELECT 1::BIGINT AS id, TIMESTAMP '2024-01-01 01:00:00' AS event_time, 1.0::DOUBLE AS x, 2.0::DOUBLE AS y`,
        'other/base.parquet': `SELECT 1::BIGINT AS id, TIMESTAMP '2024-01-01 01:00:00' AS event_time, 2.0::DOUBLE AS y`,
      },
    });
  });
  afterAll(async () => {
    await other?.close();
  });

  it("is refused when a query source's query reads the appended file, or may (paths it computes), and a view of it reads a column the rows lack", async () => {
    const e = await other.fs.push({ view: 'a', rows: [{ id: 7, event_timestamp: '2024-03-01T00:00:00Z', x: 99.5 }], to: 'offline' }).then(() => null, (x: unknown) => x);
    expect(e).toMatchObject({
      code: 'offline_push_shared_source',
      details: { other_views: [{ view: 'maybe_y', source: 'computed', columns: ['y'] }, { view: 'needs_y', source: 'reads_ev', columns: ['y'] }] },
    });
    expect((e as Error).message).toMatch(/'maybe_y' \(y; through source 'computed', whose query may read them \(the files it reads cannot be told from its SQL\)\), 'needs_y' \(y; through source 'reads_ev', whose query reads the same files\)/);
    expect(other.files('ev')).toEqual(['base.parquet']);
    const ds = await other.fs.getHistoricalFeatures({ entities: [{ id: 1, event_timestamp: '2024-06-01T00:00:00Z' }], features: ['needs_y:y'] });
    expect([...ds.table!.getChild('y')!]).toEqual([2]);
  });
});
