/**
 * A push to the offline store writes every column the source reads into the
 * file column it is read from (`field_mapping` included), and refuses when the
 * existing files have no such column rather than writing NULL there; the files'
 * column types are read from the files the source reads, so a file still being
 * written (or left by a killed push) neither hides them nor is probed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureguardError } from '../../src/errors.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { writingName } from '../../src/offline/source-sql.js';
import type { FeatureStore } from '../../src/sdk/index.js';
import { openPushProject, type PushProject, refusal } from './push-project.js';

let dir: string;
let fs: FeatureStore;

const view = (name: string, source: string, features = '  - {name: score, type: float64}\n') => `---
kind: feature_view
name: ${name}
entities: [user]
source: ${source}
ttl: 0
online: true
features:
${features}`;

let project: PushProject;
beforeAll(async () => {
  project = await openPushProject('push_columns', `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: mapped
path: data/mapped/*.parquet
timestamp_field: event_time
created_timestamp_field: created
field_mapping: {EventTime: event_time, Created: created, Score: score}
---
kind: source
name: decimal
path: data/decimal/*
format: parquet
timestamp_field: ts
---
kind: source
name: broken
path: data/broken/*.parquet
timestamp_field: ts
---
kind: source
name: added
path: data/added/*.parquet
timestamp_field: ts
${view('mapped_v', 'mapped')}${view('decimal_v', 'decimal')}${view('broken_v', 'broken')}${view('added_v', 'added', '  - {name: score, type: float64}\n  - {name: extra, type: float64}\n')}`, {
    parquet: {
      'mapped/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01 00:00:00' AS EventTime, TIMESTAMP '2026-01-01 00:00:00' AS Created, 1.5::DOUBLE AS Score`,
      'decimal/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01 00:00:00' AS ts, 1.5::DECIMAL(5,1) AS score`,
      'broken/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01 00:00:00' AS ts, 1.5::DECIMAL(5,1) AS score`,
      // The files were written before the view gained the feature `extra`.
      'added/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01 00:00:00' AS ts, 1.5::DOUBLE AS score`,
    },
  });
  ({ dir, fs } = project);
});

afterAll(async () => {
  await project?.close();
});

const files = (sub: string) => project.files(sub);
const refused = (run: () => Promise<unknown>) => refusal(run, FeatureguardError);

async function offlineScore(v: string, userId: number, at: string): Promise<unknown> {
  const ds = await fs.getHistoricalFeatures({ entities: [{ user_id: userId, event_timestamp: at }], features: [`${v}:score`] });
  return [...ds.table!.getChild('score')!][0];
}

describe('push to the offline store: the files\' columns', () => {
  it('writes the timestamps into the columns field_mapping maps onto timestamp_field and created_timestamp_field', async () => {
    const res = await fs.push({ view: 'mapped_v', rows: [{ user_id: 2, event_timestamp: '2026-01-02T00:00:00Z', created_timestamp: '2026-01-02T01:00:00Z', score: 2.5 }], to: 'both' });
    expect(res.status).toBe('success');
    const conn = await (await openOfflineEngine()).connect();
    const r = await conn.runAndReadAll(`SELECT CAST(EventTime AS VARCHAR), CAST(Created AS VARCHAR), Score FROM read_parquet('${res.file}')`);
    conn.closeSync();
    expect(r.getRowsJS()).toEqual([['2026-01-02 00:00:00', '2026-01-02 01:00:00', 2.5]]);
    expect(await offlineScore('mapped_v', 2, '2026-01-03T00:00:00Z')).toBe(2.5);
  });

  it("takes rows written with the file's own column names, the mapped timestamp column included", async () => {
    const res = await fs.push({ view: 'mapped_v', rows: [{ user_id: 3, EventTime: '2026-01-02T00:00:00Z', Created: '2026-01-02T01:00:00Z', Score: 3.5 }], to: 'offline' });
    expect(res.status).toBe('success');
    expect(await offlineScore('mapped_v', 3, '2026-01-03T00:00:00Z')).toBe(3.5);
  });

  it('refuses a feature the existing files have no column for (added to the view since), writing nothing anywhere', async () => {
    const e = await refused(() => fs.push({ view: 'added_v', rows: [{ user_id: 2, event_timestamp: '2026-01-02T00:00:00Z', score: 2.5, extra: 42 }], to: 'both' }));
    expect(e.code).toBe('offline_column_missing');
    expect(e.status).toBe(400);
    expect(e.message).toContain("the existing files have no column 'extra'");
    expect(files('added')).toEqual(['part-0.parquet']);
    const online = await fs.getOnlineFeatures({ features: ['added_v:score'], entities: { user_id: [2] } });
    expect(online.results[1].statuses).toEqual(['NOT_FOUND']);
  });

  it("reads the files' types past a temp file a killed push left, and refuses what they cannot hold", async () => {
    // A killed push's partial file, hidden by name: `data/decimal/*` matches it, the source's reads skip it.
    writeFileSync(writingName(join(dir, 'data', 'decimal', 'push-killed.parquet')), 'PAR1 half a file');
    const e = await refused(() => fs.push({ view: 'decimal_v', rows: [{ user_id: 2, event_timestamp: '2026-01-02T00:00:00Z', score: 2.25 }], to: 'offline' }));
    expect(e.code).toBe('offline_type_mismatch');
    expect(files('decimal')).toEqual(['.push-killed.parquet.featureguard-writing', 'part-0.parquet']);
    const res = await fs.push({ view: 'decimal_v', rows: [{ user_id: 2, event_timestamp: '2026-01-02T00:00:00Z', score: 2.5 }], to: 'offline' });
    expect(res.status).toBe('success');
    expect(await offlineScore('decimal_v', 2, '2026-01-03T00:00:00Z')).toBe(2.5);
  });

  it('fails, writing nothing, when the existing files cannot be read (not taken for "no files yet")', async () => {
    writeFileSync(join(dir, 'data', 'broken', 'part-0.parquet'), 'not parquet');
    const e = await refused(() => fs.push({ view: 'broken_v', rows: [{ user_id: 2, event_timestamp: '2026-01-02T00:00:00Z', score: 2.25 }], to: 'offline' }));
    expect(e.code).toBe('source_unreadable');
    expect(e.message).toContain("cannot append these rows to the offline source 'broken': its files could not be read");
    expect(e.message).toContain('data/broken/part-0.parquet');
    expect(e.message).not.toContain(dir);
    expect(files('broken')).toEqual(['part-0.parquet']);
  });
});
