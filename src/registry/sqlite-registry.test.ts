import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from '../definitions/define.js';
import type { Definition, FeatureViewDef } from '../definitions/types.js';
import { ConflictError } from '../errors.js';
import { openStateDb, type StateDb } from '../state/state-db.js';
import { contentHash } from './canonical.js';
import { openSqliteRegistry } from './sqlite-registry.js';
import { ensureViewHistoryTable, restartViewHistory } from '../runs/view-history.js';

const airport = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] });
const source = defineSource({ name: 'airport_hourly_source', path: 'data/airport_hourly.parquet', timestamp_field: 'hour' });
const view = defineFeatureView({
  name: 'airport_hourly',
  entities: ['airport'],
  source: 'airport_hourly_source',
  ttl: '6h',
  online: true,
  features: [
    { name: 'departures', type: 'int64', min: 0 },
    { name: 'mean_delay', type: 'float64' },
  ],
});
const service = defineFeatureService({ name: 'delay_model', features: ['airport_hourly:mean_delay'] });
const base: Definition[] = [airport, source, view, service];

const withView = (patch: Partial<FeatureViewDef>): Definition[] => [airport, source, defineFeatureView({ ...view, ...patch }), service];

let dir: string;
let db: StateDb;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fg-registry-'));
  db = openStateDb(join(dir, 'state.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sqlite registry', () => {
  it('plans additions on an empty registry and applies them as version 1', () => {
    const reg = openSqliteRegistry(db);
    const plan = reg.plan(base);
    expect(plan.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual([
      'add entity/airport',
      'add source/airport_hourly_source',
      'add feature_view/airport_hourly',
      'add feature_service/delay_model',
    ]);
    expect(plan.hasChanges).toBe(true);
    expect(plan.breaking).toBe(false);
    const gen0 = reg.generation();
    const res = reg.apply(base);
    expect(res.applied).toHaveLength(4);
    expect(res.applied.every((v) => v.version === 1)).toBe(true);
    expect(reg.generation()).toBeGreaterThan(gen0);
    const v = reg.currentVersions().get('feature_view/airport_hourly');
    expect(v?.hash).toBe(contentHash(view));
    expect(v?.applied_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(reg.current().views.get('airport_hourly')).toEqual(view);
    expect(Object.isFrozen(reg.current().views.get('airport_hourly')?.features[0])).toBe(true);
  });

  it('is idempotent: applying the same definitions again adds no version', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(base);
    const gen = reg.generation();
    // Same content, different key order: same hash, unchanged.
    const reordered = base.map((d) => Object.fromEntries(Object.entries(d).reverse()) as unknown as Definition);
    const res = reg.apply(reordered);
    expect(res.applied).toEqual([]);
    expect(res.plan.hasChanges).toBe(false);
    expect(res.plan.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect(reg.generation()).toBe(gen);
    expect(reg.versions('feature_view', 'airport_hourly')).toHaveLength(1);
  });

  it('takes a default written out, or dropped, for no change (no new version)', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(base);
    const spelled = withView({ role: 'feature', tags: {}, slices: [], quality: {} });
    expect(reg.apply(spelled).applied).toEqual([]);
    const offline = { ...view, online: false, ttl: '0' };
    reg.apply([airport, source, defineFeatureView(offline), service], { allowBreaking: true }); // the service reads it online
    const { online: _online, ttl: _ttl, ...bare } = offline;
    expect(reg.plan([airport, source, defineFeatureView(bare), service]).hasChanges).toBe(false);
    // A real change still is one.
    expect(reg.plan(withView({ ttl: '1h' })).hasChanges).toBe(true);
  });

  it('records a changed object as a new version with a field-by-field diff', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(base);
    const edited = withView({ ttl: '12h', features: [...view.features, { name: 'p90_delay', type: 'float64' }] });
    const plan = reg.plan(edited);
    const change = plan.changes.find((c) => c.name === 'airport_hourly');
    expect(change?.action).toBe('change');
    expect(change?.changes).toEqual([
      { path: '/ttl', before: '6h', after: '12h' },
      { path: '/features/p90_delay', before: null, after: { name: 'p90_delay', type: 'float64' } },
    ]);
    expect(plan.breaking).toBe(false);
    const res = reg.apply(edited);
    expect(res.applied.map((v) => `${v.name}@${v.version}`)).toEqual(['airport_hourly@2']);
    const versions = reg.versions('feature_view', 'airport_hourly');
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[0]?.hash).not.toBe(versions[1]?.hash);
    expect((versions[1]?.definition as FeatureViewDef).ttl).toBe('12h');
    expect(reg.current().views.get('airport_hourly')?.ttl).toBe('12h');
  });

  it('records a removal as a version with a null definition', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(base);
    const res = reg.apply([airport, source, view]);
    expect(res.applied.map((v) => [v.kind, v.name, v.version, v.definition])).toEqual([['feature_service', 'delay_model', 2, null]]);
    expect(reg.current().services.size).toBe(0);
    expect(reg.currentVersions().has('feature_service/delay_model')).toBe(false);
    expect(reg.versions('feature_service', 'delay_model').map((v) => v.definition === null)).toEqual([false, true]);
    // Adding it back continues the numbering.
    expect(reg.apply(base).applied.map((v) => v.version)).toEqual([3]);
  });

  it('flags and refuses breaking changes unless allowed', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(base);
    const typeChange = withView({ features: [{ name: 'departures', type: 'float64' }, { name: 'mean_delay', type: 'float64' }] });
    const plan = reg.plan(typeChange);
    expect(plan.breaking).toBe(true);
    expect(plan.changes.find((c) => c.name === 'airport_hourly')?.breaking).toEqual([
      "type of feature 'airport_hourly:departures' changed from int64 to float64",
    ]);
    let err: unknown;
    try {
      reg.apply(typeChange);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).code).toBe('breaking_change');
    expect(reg.versions('feature_view', 'airport_hourly')).toHaveLength(1);
    expect(reg.apply(typeChange, { allowBreaking: true }).applied).toHaveLength(1);
  });

  it('flags removed features used by services, join key and timestamp changes', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(base);
    const reasons = (defs: Definition[]) => reg.plan(defs).changes.flatMap((c) => c.breaking);
    // Removing a feature the service uses is breaking; removing an unused one is not.
    expect(reasons(withView({ features: [view.features[0]!] }))).toEqual([
      "feature 'airport_hourly:mean_delay' removed but feature service delay_model uses it",
    ]);
    expect(reasons([airport, source, defineFeatureView({ ...view, features: [view.features[1]!] }), service])).toEqual([]);
    // Removing the view and the service together: the current service still uses it.
    expect(reasons([airport, source])).toEqual(["feature 'airport_hourly:mean_delay' removed with its view but feature service delay_model uses it"]);
    // Join keys.
    const airport2 = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'int64' }] });
    expect(reasons([airport2, source, view, service])).toEqual([
      "join keys of entity 'airport' changed from [origin:string] to [origin:int64] (used by feature view airport_hourly)",
    ]);
    const route = defineEntity({ name: 'route', join_keys: [{ name: 'origin', type: 'string' }, { name: 'destination', type: 'string' }] });
    expect(reasons([route, ...withView({ entities: ['route'] })])[0]).toMatch(/join keys of feature view 'airport_hourly' changed/);
    // Timestamp field.
    const source2 = defineSource({ ...source, timestamp_field: 'hour_end' });
    expect(reasons([airport, source2, view, service])).toEqual([
      "timestamp field of source 'airport_hourly_source' changed from 'hour' to 'hour_end'",
    ]);
    // No longer online while the service reads it: every online read of the service would fail.
    expect(reasons(withView({ ttl: '1d', online: false }))).toEqual(["feature view 'airport_hourly' is no longer online but feature service delay_model uses it"]);
    // Non-breaking edits.
    expect(reasons(withView({ ttl: '1d', description: 'hourly' }))).toEqual([]);
  });

  it('sees applies from another connection without reopening, and caches otherwise', () => {
    const reader = openSqliteRegistry(db);
    expect(reader.current().views.size).toBe(0);
    const first = reader.current();
    expect(reader.current()).toBe(first); // cached: same object while nothing changed
    const other = openStateDb(join(dir, 'state.db'));
    try {
      openSqliteRegistry(other).apply(base);
    } finally {
      other.close();
    }
    expect(reader.current()).not.toBe(first);
    expect(reader.current().views.get('airport_hourly')?.ttl).toBe('6h');
  });

  it('answers generation(maxAgeMs) from its last read for that long, but its own applies at once', async () => {
    const reader = openSqliteRegistry(db);
    const g0 = reader.generation(60_000);
    const other = openStateDb(join(dir, 'state.db'));
    try {
      openSqliteRegistry(other).apply(base);
    } finally {
      other.close();
    }
    expect(reader.generation(60_000)).toBe(g0); // read less than a minute ago
    await new Promise((r) => setTimeout(r, 15));
    const g1 = reader.generation(10); // read more than 10 ms ago: read again
    expect(g1).toBeGreaterThan(g0);
    expect(reader.generation()).toBe(g1); // exact
    reader.apply([...base, { kind: 'entity', name: 'carrier', join_keys: [{ name: 'carrier', type: 'string' }] }]);
    expect(reader.generation(60_000)).toBeGreaterThan(g1); // its own apply
  });

  it('commits what inTransaction writes with the change, or neither', () => {
    const reg = openSqliteRegistry(db);
    db.exec('CREATE TABLE IF NOT EXISTS side (x TEXT)');
    const g0 = reg.generation();
    expect(() => reg.apply(base, { inTransaction: () => {
      db.prepare("INSERT INTO side VALUES ('written')").run();
      throw new Error('crash before the commit');
    } })).toThrow('crash before the commit');
    expect(reg.generation()).toBe(g0);
    expect(db.prepare('SELECT count(*) FROM side').pluck().get()).toBe(0);
    const seen: number[] = [];
    reg.apply(base, { inTransaction: (r) => {
      seen.push(r.applied.length);
      db.prepare("INSERT INTO side VALUES ('written')").run();
    } });
    expect(seen).toEqual([base.length]);
    expect(reg.generation()).toBeGreaterThan(g0);
    expect(db.prepare('SELECT count(*) FROM side').pluck().get()).toBe(1);
  });

  it('fails cleanly when another connection holds the write lock past the busy timeout', () => {
    const holder = openStateDb(join(dir, 'state.db'));
    const reg = openSqliteRegistry(db);
    db.pragma('busy_timeout = 50');
    holder.exec('BEGIN IMMEDIATE');
    try {
      expect(() => reg.apply(base)).toThrow(expect.objectContaining({ code: 'registry_busy' }));
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(reg.apply(base).applied).toHaveLength(4);
  });

  it('rejects a definition listed twice', () => {
    const reg = openSqliteRegistry(db);
    expect(() => reg.plan([...base, view])).toThrow(/defined twice/);
  });
});

describe('a feature removed and added back', () => {
  it('with another type is breaking (its online values may still be stored); with its own type, or after the view was removed, it is not', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(base);
    const without = withView({ features: [{ name: 'mean_delay', type: 'float64' }] });
    expect(reg.apply(without).plan.breaking).toBe(false); // no service uses departures
    const asString = withView({ features: [{ name: 'departures', type: 'string' }, { name: 'mean_delay', type: 'float64' }] });
    expect(reg.plan(asString).changes.find((c) => c.name === 'airport_hourly')!.breaking).toEqual([
      "feature 'airport_hourly:departures' added back as string, but an earlier version had it as int64 and its online values may still be stored",
    ]);
    expect(() => reg.apply(asString)).toThrow(ConflictError);
    expect(reg.plan(base).breaking).toBe(false); // the same type again
    // A removed view's values were dropped with it: added back later, its history starts over.
    reg.apply([airport, source], { allowBreaking: true });
    expect(reg.plan([airport, source, defineFeatureView({ ...view, features: [{ name: 'mean_delay', type: 'float64' }] })]).breaking).toBe(false);
    reg.apply([airport, source, defineFeatureView({ ...view, features: [{ name: 'mean_delay', type: 'float64' }] })]);
    expect(reg.plan([airport, source, defineFeatureView({ ...view, features: [{ name: 'departures', type: 'string' }, { name: 'mean_delay', type: 'float64' }] })]).breaking).toBe(false);
  });
});

describe('the time axis of a view', () => {
  it('changed through field_mapping, or by moving to a source with another time column, is breaking; a copy with the same column is not', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(base);
    const mapped = (from: string) => defineSource({ ...source, field_mapping: { [from]: 'hour' } });
    reg.apply([airport, mapped('hour_end'), view, service], { allowBreaking: true }); // from column 'hour': breaking too
    expect(reg.plan([airport, mapped('hour_start'), view, service]).changes.find((c) => c.kind === 'source')!.breaking).toEqual([
      "event times of source 'airport_hourly_source' are read from column 'hour_start' instead of 'hour_end' (field_mapping changed)",
    ]);
    const other = defineSource({ name: 'other', path: 'data/other.parquet', timestamp_field: 'ts' });
    const copy = defineSource({ name: 'copy', path: 'data/copy.csv', timestamp_field: 'hour', field_mapping: { hour_end: 'hour' } });
    const moved = (to: string) => defineFeatureView({ ...view, source: to });
    expect(reg.plan([airport, mapped('hour_end'), other, moved('other'), service]).changes.find((c) => c.kind === 'feature_view')!.breaking).toEqual([
      "feature view 'airport_hourly' moved from source 'airport_hourly_source' (event times in 'hour_end') to 'other' (in 'ts')",
    ]);
    expect(reg.plan([airport, mapped('hour_end'), copy, moved('copy'), service]).breaking).toBe(false);
  });

  it("a join key read from another column (field_mapping, or a move to a source that maps it otherwise) is breaking", () => {
    const reg = openSqliteRegistry(db);
    const mapped = (m: Record<string, string>, name = source.name) => defineSource({ ...source, name, field_mapping: m });
    reg.apply([airport, mapped({ ORIGIN: 'origin' }), view, service]);
    expect(reg.plan([airport, mapped({ DEST: 'origin' }), view, service]).changes.find((c) => c.kind === 'source')!.breaking).toEqual([
      "join key 'origin' of source 'airport_hourly_source' is read from column 'DEST' instead of 'ORIGIN' (field_mapping changed)",
    ]);
    expect(reg.plan([airport, mapped({ ORIGIN: 'origin', avg: 'mean_delay' }), view, service]).breaking).toBe(false);
    const moved = defineFeatureView({ ...view, source: 'copy' });
    expect(reg.plan([airport, mapped({ ORIGIN: 'origin' }), mapped({}, 'copy'), moved, service]).changes.find((c) => c.kind === 'feature_view')!.breaking).toEqual([
      "feature view 'airport_hourly' moved from source 'airport_hourly_source' (join key 'origin' in 'ORIGIN') to 'copy' (in 'origin')",
    ]);
    expect(reg.plan([airport, mapped({ ORIGIN: 'origin' }), mapped({ ORIGIN: 'origin' }, 'copy'), moved, service]).breaking).toBe(false);
  });

  it('a ttl of zero written with a unit is no change', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(withView({ ttl: '0' }));
    for (const ttl of ['0s', '0d', '0m']) expect(reg.plan(withView({ ttl })).hasChanges, ttl).toBe(false);
  });

  it('a ttl written in another unit is no change: its length decides', () => {
    const reg = openSqliteRegistry(db);
    reg.apply(withView({ ttl: '1d' }));
    for (const ttl of ['24h', '1440m', '86400s']) expect(reg.plan(withView({ ttl })).hasChanges, ttl).toBe(false);
    expect(reg.apply(withView({ ttl: '24h' })).applied).toEqual([]);
    expect(reg.plan(withView({ ttl: '25h' })).changes.find((c) => c.kind === 'feature_view')?.changes).toEqual([{ path: '/ttl', before: '1d', after: '25h' }]);
  });
});

describe('a feature added back after a breaking change dropped the view', () => {
  it('is compared with the versions whose values may still be stored: from the one current at the drop', async () => {
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const reg = openSqliteRegistry(db);
    const x = (type: 'float64' | 'int64' | undefined) => withView({ features: [...(type ? [{ name: 'departures', type }] : []), { name: 'mean_delay', type: 'float64' as const }] });
    reg.apply(x('float64'));
    reg.apply(x('int64'), { allowBreaking: true }); // breaking: the view's values are dropped (as apply does)
    await tick();
    ensureViewHistoryTable(db);
    restartViewHistory(db, 'airport_hourly'); // the drop, after that apply
    await tick();
    reg.apply(x(undefined));
    // float64 values went with the drop; int64 ones may have been written since.
    expect(reg.plan(x('int64')).breaking).toBe(false);
    expect(reg.plan(x('float64')).changes.find((c) => c.kind === 'feature_view')!.breaking).toEqual([
      "feature 'airport_hourly:departures' added back as float64, but an earlier version had it as int64 and its online values may still be stored",
    ]);
  });
});
