/**
 * A push to the offline store appends a file in the existing files' column types
 * (Parquet) or as text (CSV). A value those Parquet types cannot hold exactly
 * (a float into DECIMAL(3,1), a time of day into a DATE) is refused with the
 * column named, and nothing is written anywhere; exact values are appended, and
 * CSV files take any value (they are read as text and cast to the declared type).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import type { FeatureStore } from '../../src/sdk/index.js';
import { openPushProject, type PushProject, refusal } from './push-project.js';

let fs: FeatureStore;

const view = (name: string, source: string) => `---
kind: feature_view
name: ${name}
entities: [airport]
source: ${source}
online: true
features:
  - {name: delay, type: float64}
`;

let project: PushProject;
beforeAll(async () => {
  project = await openPushProject('push_types', `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: daily
path: data/daily/*.parquet
timestamp_field: day
---
kind: source
name: csv_daily
path: data/csv/*.csv
timestamp_field: day
---
kind: source
name: floaty
path: data/floaty/*.parquet
timestamp_field: day
${view('daily_delays', 'daily')}${view('csv_delays', 'csv_daily')}${view('floaty_delays', 'floaty')}`, {
    parquet: {
      'daily/part-0.parquet': `SELECT 'SEA' AS origin, DATE '2024-01-01' AS day, 1.5::DECIMAL(3,1) AS delay`,
      // A float32 column, named in another case than the feature (DuckDB's names ignore case).
      'floaty/part-0.parquet': `SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01 00:00:00' AS day, 1.5::FLOAT AS "Delay"`,
    },
    text: { 'csv/part-0.csv': 'origin,day,delay\nSEA,2024-01-01,2\n' },
  });
  fs = project.fs;
});

afterAll(async () => {
  await project?.close();
});

const files = (sub: string) => project.files(sub);
const refused = (rows: Record<string, unknown>[], view = 'daily_delays') => refusal(() => fs.push({ view, rows, to: 'both' }), InputError);

describe('push to the offline store: column types of the existing files', () => {
  it('refuses a value a DECIMAL column would round, and a time of day a DATE column would drop; writes nothing', async () => {
    const decimal = await refused([{ origin: 'SEA', event_timestamp: '2024-01-02T00:00:00Z', delay: 4.25 }]);
    expect(decimal.code).toBe('offline_type_mismatch');
    expect(decimal.message).toContain("column 'delay' is DECIMAL(3,1) in the existing files, which cannot hold 1 of the pushed values exactly (e.g. 4.25)");
    const date = await refused([{ origin: 'SEA', event_timestamp: '2024-01-02T15:00:00Z', delay: 4.5 }]);
    expect(date.message).toContain("column 'day' is DATE in the existing files");
    expect(files('daily')).toEqual(['part-0.parquet']);
    const online = await fs.getOnlineFeatures({ features: ['daily_delays:delay'], entities: { origin: ['SEA'] } });
    expect(online.results[1].statuses).toEqual(['NOT_FOUND']);
  });

  it('appends values the existing types hold exactly', async () => {
    const res = await fs.push({ view: 'daily_delays', rows: [{ origin: 'SEA', event_timestamp: '2024-01-03T00:00:00Z', delay: 4.5 }], to: 'both' });
    expect(res.status).toBe('success');
    expect(files('daily')).toHaveLength(2);
    const ds = await fs.getHistoricalFeatures({ entities: [{ origin: 'SEA', event_timestamp: '2024-01-03T12:00:00Z' }], features: ['daily_delays:delay'] });
    expect([...ds.table!.getChild('delay')!]).toEqual([4.5]);
  });

  it('narrows a float64 into a FLOAT column, refuses one beyond its range, and matches column names as DuckDB does (ignoring case)', async () => {
    const huge = await refused([{ origin: 'SEA', event_timestamp: '2024-01-02T00:00:00Z', delay: 1e300 }], 'floaty_delays');
    expect(huge.message).toContain("column 'Delay' is FLOAT in the existing files");
    const res = await fs.push({ view: 'floaty_delays', rows: [{ origin: 'SEA', event_timestamp: '2024-01-02T00:00:00Z', delay: 2.5 }], to: 'offline' });
    expect(res.status).toBe('success');
    const ds = await fs.getHistoricalFeatures({ entities: [{ origin: 'SEA', event_timestamp: '2024-01-02T01:00:00Z' }], features: ['floaty_delays:delay'] });
    expect([...ds.table!.getChild('delay')!]).toEqual([2.5]);
  });

  it('serves a float64 the files hold as FLOAT as they hold it (what a training set reads)', async () => {
    const res = await fs.push({ view: 'floaty_delays', rows: [{ origin: 'LAX', event_timestamp: '2024-01-02T00:00:00Z', delay: 0.1 }], to: 'both' });
    expect(res.status).toBe('success');
    const ds = await fs.getHistoricalFeatures({ entities: [{ origin: 'LAX', event_timestamp: '2024-01-02T01:00:00Z' }], features: ['floaty_delays:delay'] });
    const online = await fs.getOnlineFeatures({ features: ['floaty_delays:delay'], entities: { origin: ['LAX'] } });
    expect([...ds.table!.getChild('delay')!]).toEqual([Math.fround(0.1)]);
    expect(online.results[1].values).toEqual([Math.fround(0.1)]);
  });

  it('writes a CSV source any value of the declared type (read back exactly, not as the integer the file looked like)', async () => {
    const res = await fs.push({ view: 'csv_delays', rows: [{ origin: 'SEA', event_timestamp: '2024-01-02T15:00:00Z', delay: 4.25 }], to: 'offline' });
    expect(res.status).toBe('success');
    const ds = await fs.getHistoricalFeatures({ entities: [{ origin: 'SEA', event_timestamp: '2024-01-02T16:00:00Z' }], features: ['csv_delays:delay'] });
    expect([...ds.table!.getChild('delay')!]).toEqual([4.25]);
  });
});
