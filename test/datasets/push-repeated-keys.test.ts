/**
 * Rows of one entity in one push: the online store gets the row a training set
 * built now holds (the greatest event time, then created time, then the
 * point-in-time join's hash tie-break), whatever their order in the push — the
 * store alone kept the first of rows with equal timestamps, and re-materializing
 * never replaced it (equal timestamps are not newer).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../src/sdk/index.js';
import { openPushProject, type PushProject } from './push-project.js';

let fs: FeatureStore;
const FEATURES = ['cnt', 'score', 'label', 'seen'] as const;

let project: PushProject;
beforeAll(async () => {
  project = await openPushProject('push_repeated', `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: s
path: data/s/*.parquet
timestamp_field: ts
created_timestamp_field: created
---
kind: feature_view
name: v
entities: [user]
source: s
ttl: 0
online: true
quality: {drift: off, anomaly: off}
features:
  - {name: cnt, type: int32}
  - {name: score, type: float64}
  - {name: label, type: string}
  - {name: seen, type: timestamp}
`, {
    parquet: { 's/part-0.parquet': `SELECT 0::BIGINT AS user_id, TIMESTAMP '2026-01-01 00:00:00' AS ts, NULL::TIMESTAMP AS created, 0 AS cnt, 0.0::DOUBLE AS score, 'zero' AS label, NULL::TIMESTAMP AS seen` },
  });
  fs = project.fs;
});

afterAll(async () => {
  await project?.close();
});

type Row = { user_id: number; event_timestamp: string; created_timestamp: string | null; cnt: number; score: number; label: string; seen: string | null };

/** Each entity's features online, and in a training set at a time after every pushed row. */
async function onlineAndOffline(ids: readonly number[]): Promise<{ online: unknown[][]; offline: unknown[][] }> {
  const res = await fs.getOnlineFeatures({ features: FEATURES.map((f) => `v:${f}`), entities: { user_id: [...ids] } });
  const online = ids.map((_, i) => FEATURES.map((__, j) => res.results[j + 1].values[i]));
  const ds = await fs.getHistoricalFeatures({ entities: ids.map((id) => ({ user_id: id, event_timestamp: '2026-02-01T00:00:00Z' })), features: FEATURES.map((f) => `v:${f}`) });
  const cols = FEATURES.map((f) => [...ds.table!.getChild(f)!]);
  const offline = ids.map((_, i) => cols.map((c, j) => {
    const v = c[i];
    return FEATURES[j] === 'seen' ? (v == null ? null : new Date(Number(v)).toISOString().replace('Z', '000Z')) : v;
  }));
  return { online, offline };
}

describe('a push with several rows of one entity', () => {
  it('serves the row a training set holds when their timestamps are equal (not the first one sent)', async () => {
    const at = '2026-01-02T10:00:00Z';
    const rows = ['first', 'second', 'third'].map((label, i) => ({ user_id: 7, event_timestamp: at, cnt: i + 1, score: i + 1, label, seen: null }));
    const res = await fs.push({ view: 'v', rows, to: 'both' });
    // The two rows beaten within the push are superseded (skipped counts rows the store held something newer for).
    expect(res).toMatchObject({ rows: 3, written: 1, skipped: 0, superseded: 2 });
    const { online, offline } = await onlineAndOffline([7]);
    expect(online).toEqual(offline);
  });

  it('serves what a training set holds for any rows, timestamps and order (property)', async () => {
    let nextId = 100;
    const row = fc.record({
      entity: fc.integer({ min: 0, max: 2 }),
      hour: fc.integer({ min: 0, max: 2 }),
      created: fc.option(fc.integer({ min: 0, max: 1 })),
      cnt: fc.integer({ min: 0, max: 3 }),
      score: fc.constantFrom(0.5, 1.5, 2.5),
      label: fc.constantFrom('a', 'b'),
      seen: fc.option(fc.constantFrom('2025-12-01T00:00:00.123Z', '2025-12-02T00:00:00Z')),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 2, maxLength: 8 }), async (picked) => {
        const base = nextId;
        nextId += 3;
        const rows: Row[] = picked.map((r) => ({
          user_id: base + r.entity,
          event_timestamp: `2026-01-03T0${r.hour}:00:00Z`,
          created_timestamp: r.created === null ? null : `2026-01-04T0${r.created}:00:00Z`,
          cnt: r.cnt, score: r.score, label: r.label, seen: r.seen,
        }));
        await fs.push({ view: 'v', rows, to: 'both' });
        const ids = [...new Set(rows.map((r) => r.user_id))];
        const { online, offline } = await onlineAndOffline(ids);
        expect(online).toEqual(offline);
      }),
      { numRuns: 15 },
    );
  });
});
