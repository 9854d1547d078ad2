/**
 * Review findings on apply, end to end (SDK, SQLite online store, DuckDB reading real Parquet):
 * - a view set to `online: false` while a feature service reads it was applied as a harmless edit, and its rows
 *   stayed in the online store; now it is refused without allowBreaking, and applied with it, its rows are deleted;
 * - a feature added to an online view stayed NOT_FOUND for good: `--incremental` read only the window since the last
 *   run; now the next incremental run after such an apply re-reads the ttl window (and the plan says so);
 * - so did the old source's values when a view's source changed with the same columns (another `path`, or the view
 *   moved to another source): the plan said nothing and `--incremental` read 0 rows; now it is re-read the same way.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, defineFeatureView, type FeatureViewDef } from '../../src/sdk/index.js';
import { formatPlan } from '../../src/registry/format.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { openPushProject, refusal, type PushProject } from '../datasets/push-project.js';
import { openStateDb } from '../../src/state/state-db.js';

const YAML = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: daily
path: data/daily/*.parquet
timestamp_field: day
---
kind: feature_view
name: daily_delays
entities: [airport]
source: daily
ttl: 30d
online: true
quality: {drift: off, anomaly: off}
features:
  - {name: delay, type: float64}
---
kind: feature_service
name: delay_model
features: [daily_delays]
`;
// Rows of the last days (inside the ttl), two per airport: the latest one is what the online store holds.
const ROWS = `SELECT * FROM (VALUES
  ('SEA', now()::TIMESTAMP - INTERVAL 50 HOUR, 1.5::DOUBLE, 10::BIGINT, 'x'),
  ('SEA', now()::TIMESTAMP - INTERVAL 26 HOUR, 2.5::DOUBLE, 12::BIGINT, 'y'),
  ('JFK', now()::TIMESTAMP - INTERVAL 30 HOUR, 4.0::DOUBLE, 7::BIGINT, 'z')
) t(origin, day, delay, departures, tail)`;

let project: PushProject | undefined;
afterEach(async () => {
  await project?.close();
  project = undefined;
});

// The same rows and columns with other values: what a source moved to another file reads.
const OTHER_ROWS = `SELECT origin, day, delay + 100 AS delay, departures * 3 AS departures, tail FROM (${ROWS})`;
const open = async () =>
  (project = await openPushProject('apply_online', YAML, { parquet: { 'daily/part-0.parquet': ROWS, 'other/part-0.parquet': OTHER_ROWS } }));
const current = (p: PushProject) => p.fs.project.registry.current();
const withView = (p: PushProject, patch: Partial<FeatureViewDef>) => {
  const set = current(p);
  const view = set.views.get('daily_delays')!;
  return [...set.entities.values(), ...set.sources.values(), defineFeatureView({ ...view, ...patch }), ...set.services.values()];
};
const stored = async (p: PushProject, features: string[]) =>
  (await (await p.fs.project.onlineStore()).readMany('daily_delays', features, [['SEA'], ['JFK']])).map((v) => v?.values ?? null);

/** The latest value per airport of `column`, computed by DuckDB from the Parquet file itself. */
async function latest(p: PushProject, column: string, folder = 'daily'): Promise<Record<string, unknown>> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    const rows = (await conn.runAndReadAll(`SELECT origin, arg_max(${column}, day) AS v FROM read_parquet('${join(p.dir, 'data', folder, '*.parquet')}') GROUP BY origin`)).getRowObjectsJS();
    return Object.fromEntries(rows.map((r) => [r.origin as string, typeof r.v === 'bigint' ? Number(r.v) : r.v]));
  } finally {
    conn.closeSync();
  }
}

describe('a view in use set to online: false', () => {
  it('is refused without allowBreaking; with it, its online rows are deleted', async () => {
    const p = await open();
    const run = await p.fs.materialize({ incremental: true });
    expect(run.map((r) => [r.status, r.message ?? null, r.entitiesWritten])).toEqual([['success', null, 2]]);
    expect((await stored(p, ['delay'])).every((v) => v !== null)).toBe(true);
    const offline = withView(p, { online: false });
    const plan = await p.fs.plan(offline);
    expect(plan.breaking).toBe(true);
    expect(plan.dropReasons).toEqual({ daily_delays: 'no_longer_online' });
    const e = await refusal(() => p.fs.apply(offline), ConflictError);
    expect(e.code).toBe('breaking_change');
    expect(e.message).toContain("feature view 'daily_delays' is no longer online but feature service delay_model uses it");
    expect((await stored(p, ['delay'])).every((v) => v !== null)).toBe(true);
    const result = await p.fs.apply(offline, { allowBreaking: true });
    expect(result.dropped).toEqual(['daily_delays']);
    expect(await stored(p, ['delay'])).toEqual([null, null]);
  });
});

describe('a feature added to an online view', () => {
  it('is served after the next incremental run, which re-reads the ttl window; the plan says so', async () => {
    const p = await open();
    const first = await p.fs.materialize({ incremental: true });
    expect(first.map((r) => r.status)).toEqual(['success']);
    // Up to date: an incremental run now reads only the moment since.
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(0);
    const view = current(p).views.get('daily_delays')!;
    const added = withView(p, { features: [...view.features, { name: 'departures', type: 'int64' }] });
    const plan = await p.fs.plan(added);
    expect(plan.drops).toEqual([]);
    expect(plan.notes).toEqual([
      'Apply adds departures to daily_delays: online reads return NOT_FOUND for it until the next materialization, which re-reads the last 30d.',
    ]);
    expect(formatPlan(plan)).toContain('Apply adds departures to daily_delays: online reads return NOT_FOUND for it until the next materialization, which re-reads the last 30d.');
    await p.fs.apply(added);
    const again = await p.fs.materialize({ incremental: true });
    expect(again.map((r) => r.status)).toEqual(['success']);
    const want = await latest(p, 'departures');
    expect(Object.keys(want).sort()).toEqual(['JFK', 'SEA']);
    const read = await p.fs.getOnlineFeatures({ features: ['daily_delays:departures'], entities: { origin: ['SEA', 'JFK'] } });
    expect(read.results[1].statuses).toEqual(['PRESENT', 'PRESENT']);
    expect(read.results[1].values).toEqual([want.SEA, want.JFK]);
    expect(again[0]?.rowsRead).toBe(3);
    // And only once: the run after that reads only the moment since again.
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(0);
  });

  it('read from another column through field_mapping, is re-read by the next incremental run', async () => {
    const p = await open();
    const withDepartures = withView(p, { features: [{ name: 'delay', type: 'float64' }, { name: 'departures', type: 'int64' }] });
    await p.fs.apply(withDepartures);
    await p.fs.materialize({ incremental: true });
    const set = current(p);
    const src = set.sources.get('daily')!;
    // `delay` is now read from the column `departures` (cast to float64), `departures`... stays.
    const remapped = [...set.entities.values(), { ...src, field_mapping: { departures: 'delay', delay: 'ignored' } }, ...set.views.values(), ...set.services.values()];
    const plan = await p.fs.plan(remapped as never);
    expect(plan.notes).toEqual([
      "Apply reads delay of daily_delays from column 'departures' instead of 'delay': online reads return the values read from 'delay' until the next materialization, which re-reads the last 30d.",
    ]);
    await p.fs.apply(remapped as never);
    await p.fs.materialize({ incremental: true });
    const want = await latest(p, 'departures::DOUBLE');
    const read = await p.fs.getOnlineFeatures({ features: ['daily_delays:delay'], entities: { origin: ['SEA', 'JFK'] } });
    expect(read.results[1].values).toEqual([want.SEA, want.JFK]);
  });
});

describe('a view whose source changed without its columns changing', () => {
  const delays = async (p: PushProject) => (await p.fs.getOnlineFeatures({ features: ['daily_delays:delay'], entities: { origin: ['SEA', 'JFK'] } })).results[1].values;
  const withSource = (p: PushProject, patch: Record<string, unknown>) => {
    const set = current(p);
    return [...set.entities.values(), { ...set.sources.get('daily')!, ...patch }, ...set.views.values(), ...set.services.values()] as never;
  };

  it('another path: the plan lists it in rereads with a note, and the next incremental run serves the new file', async () => {
    const p = await open();
    expect((await p.fs.materialize({ incremental: true })).map((r) => r.status)).toEqual(['success']);
    const old = await latest(p, 'delay');
    expect(await delays(p)).toEqual([old.SEA, old.JFK]);
    const moved = withSource(p, { path: 'data/other/*.parquet', description: 'moved' });
    const plan = await p.fs.plan(moved);
    expect([plan.drops, plan.rereads, plan.breaking]).toEqual([[], ['daily_delays'], false]);
    expect(plan.notes).toEqual([
      "Apply reads daily_delays from file 'data/other/*.parquet' instead of file 'data/daily/*.parquet' (source 'daily'): online reads return the values read from file 'data/daily/*.parquet' until the next materialization, which re-reads the last 30d.",
    ]);
    await p.fs.apply(moved);
    const again = await p.fs.materialize({ incremental: true });
    expect(again.map((r) => [r.status, r.rowsRead])).toEqual([['success', 3]]);
    const want = await latest(p, 'delay', 'other');
    expect(want.SEA).toBe((old.SEA as number) + 100);
    expect(await delays(p)).toEqual([want.SEA, want.JFK]);
    // Once: the run after that reads only the moment since.
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(0);
    // A description or tags of the source are not where rows come from: no reread.
    const described = withSource(p, { description: 'described again', tags: { team: 'ops' } });
    expect((await p.fs.plan(described)).rereads).toEqual([]);
    await p.fs.apply(described);
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(0);
  });

  it('moved to another source with the same columns: re-read the same way', async () => {
    const p = await open();
    const set = current(p);
    const other = { ...set.sources.get('daily')!, name: 'other', path: 'data/other/*.parquet' };
    await p.fs.apply([...set.entities.values(), ...set.sources.values(), other, ...set.views.values(), ...set.services.values()] as never);
    await p.fs.materialize({ incremental: true });
    const moved = withView(p, { source: 'other' });
    const plan = await p.fs.plan(moved);
    expect([plan.drops, plan.rereads, plan.breaking]).toEqual([[], ['daily_delays'], false]);
    expect(plan.notes).toEqual([
      "Apply reads daily_delays from source 'other' (file 'data/other/*.parquet') instead of source 'daily' (file 'data/daily/*.parquet'): online reads return the values read from source 'daily' until the next materialization, which re-reads the last 30d.",
    ]);
    await p.fs.apply(moved);
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(3);
    const want = await latest(p, 'delay', 'other');
    expect(await delays(p)).toEqual([want.SEA, want.JFK]);
  });

  it('a source renamed (same file), or its path spelt another way (./data/…): no reread, also for windows recorded with the source name', async () => {
    const p = await open();
    await p.fs.materialize({ incremental: true });
    // What the version of 2026-12-03 recorded: the source entry with the source's name first.
    const state = openStateDb(join(p.dir, '.featureguard', 'state.db'));
    const rows = state.prepare('SELECT rowid AS id, stored_features AS f FROM materialized_intervals').all() as { id: number; f: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const entries = (JSON.parse(r.f) as string[]).map((e) => {
        if (!e.startsWith('{')) return e;
        const { source } = JSON.parse(e) as { source: Record<string, unknown> };
        return JSON.stringify({ source: { name: 'daily', ...source } });
      });
      state.prepare('UPDATE materialized_intervals SET stored_features = ? WHERE rowid = ?').run(JSON.stringify(entries), r.id);
    }
    state.close();
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(0);
    // The view moved to a source of another name reading the same file.
    const set = current(p);
    const renamed = { ...set.sources.get('daily')!, name: 'daily_renamed' };
    const view = defineFeatureView({ ...set.views.get('daily_delays')!, source: 'daily_renamed' });
    const moved = [...set.entities.values(), ...set.sources.values(), renamed, view, ...set.services.values()] as never;
    const plan = await p.fs.plan(moved);
    expect([plan.drops, plan.rereads, plan.notes]).toEqual([[], [], []]);
    await p.fs.apply(moved);
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(0);
    // The same path spelt with './': the loader reads the same file.
    const dotted = [...current(p).entities.values(), ...[...current(p).sources.values()].map((s) => ({ ...s, path: './data/daily/*.parquet' })), ...current(p).views.values(), ...current(p).services.values()] as never;
    expect((await p.fs.plan(dotted)).rereads).toEqual([]);
    await p.fs.apply(dotted);
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(0);
    // Another file still is a reread.
    const other = [...current(p).entities.values(), ...[...current(p).sources.values()].map((s) => ({ ...s, path: 'data/other/*.parquet' })), ...current(p).views.values(), ...current(p).services.values()] as never;
    expect((await p.fs.plan(other)).rereads).toEqual(['daily_delays']);
    await p.fs.apply(other);
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(3);
  });

  it('windows recorded before sources were kept: no reread on upgrade, one once the source changes', async () => {
    const p = await open();
    await p.fs.materialize({ incremental: true });
    // What an earlier version recorded: the features only, no source.
    const state = openStateDb(join(p.dir, '.featureguard', 'state.db'));
    const rows = state.prepare('SELECT rowid AS id, stored_features AS f FROM materialized_intervals').all() as { id: number; f: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const kept = (JSON.parse(r.f) as string[]).filter((e) => e.startsWith('['));
      expect(kept.length).toBeLessThan((JSON.parse(r.f) as string[]).length);
      state.prepare('UPDATE materialized_intervals SET stored_features = ? WHERE rowid = ?').run(JSON.stringify(kept), r.id);
    }
    state.close();
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(0);
    const moved = withSource(p, { path: 'data/other/*.parquet' });
    expect((await p.fs.plan(moved)).rereads).toEqual(['daily_delays']);
    await p.fs.apply(moved);
    expect((await p.fs.materialize({ incremental: true }))[0]?.rowsRead).toBe(3);
    const want = await latest(p, 'delay', 'other');
    expect(await delays(p)).toEqual([want.SEA, want.JFK]);
  });
});
