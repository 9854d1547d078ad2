import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDefinitions } from '../definitions/loader.js';
import { openProject, type Project } from '../project.js';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { encodeKey, encodeValues, schemaHash } from '../online/record-codec.js';
import { formatMicros, getOnlineFeatures as getValues, getOnlineFeaturesJson } from './online-features.js';
import type { OnlineFeaturesResponse } from './online-features-types.js';
import { buildOnlineReadPlan } from './online-plan.js';
import { requestDrops } from '../registry/online-drops.js';

const CONFIG = `project: shop
online_store: {type: sqlite}
server: {max_entities: 5}
`;
const DEFS = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: entity
name: flight
join_keys: [{name: flight_id, type: int64}]
---
kind: source
name: src
path: data/x.parquet
timestamp_field: ts
---
kind: feature_view
name: hourly
entities: [airport]
source: src
ttl: 1h
online: true
features:
  - {name: delay, type: float64}
  - {name: label, type: string}
---
kind: feature_view
name: forever
entities: [airport]
source: src
ttl: "0"
online: true
features:
  - {name: delay, type: int64}
  - {name: vec, type: "float32[]"}
---
kind: feature_view
name: per_flight
entities: [flight]
source: src
online: true
features:
  - {name: late, type: bool}
---
kind: feature_view
name: offline_only
entities: [airport]
source: src
online: false
features:
  - {name: z, type: float64}
---
kind: feature_service
name: model
features: ["hourly:label", forever]
`;

const US = (iso: string) => Date.parse(iso) * 1000;

/**
 * `getOnlineFeatures`, also checking that the HTTP API's text form is `JSON.stringify` of it, byte for byte, but
 * for a non-finite feature value, written as protobuf's JSON mapping writes it (`"NaN"`, also inside a list); and
 * that Feast's route's form (`pythonJson`) is that text with int64 keys and features of digits, and non-finite
 * numbers, written bare (as Python's `json` writes them).
 */
async function getOnlineFeatures(...args: Parameters<typeof getValues>): ReturnType<typeof getValues> {
  const values = await getValues(...args);
  const protoJson = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
  expect(await getOnlineFeaturesJson(...args)).toBe(JSON.stringify(values, protoJson));
  const [project, request, options] = args;
  expect(await getOnlineFeaturesJson(project, request, { ...options, pythonJson: true })).toBe(pythonJson(values, int64Columns(project, request)));
  return values;
}

/** Positions among a response's results of its int64 join keys and features. */
function int64Columns(project: Project, request: Parameters<typeof getValues>[1]): Set<number> {
  const plan = buildOnlineReadPlan(project.registry.current(), request);
  const columns = new Set(plan.joinKeys.flatMap((k, i) => (k.type === 'int64' ? [i] : [])));
  for (const vp of plan.views) vp.types.forEach((t, j) => t === 'int64' && columns.add(plan.joinKeys.length + vp.outputIndex[j]));
  return columns;
}

/** `JSON.stringify(values)` with the digit strings of the `int64` columns and the non-finite numbers written bare. */
function pythonJson(values: OnlineFeaturesResponse, int64: Set<number>): string {
  const MARK = '\u0001py:';
  const results = values.results.map((r, c) => (int64.has(c) ? { ...r, values: r.values.map((v) => (typeof v === 'string' && /^-?[0-9]+$/.test(v) ? MARK + v : v)) } : r));
  const bare = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? MARK + String(v) : v);
  return JSON.stringify({ ...values, results }, bare).replace(/"\\u0001py:(-?[0-9]+|NaN|-?Infinity)"/g, '$1');
}
const NOW = new Date('2001-01-02T12:00:00Z');

describe('getOnlineFeatures', () => {
  let dir: string;
  let project: Project;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-online-read-'));
    mkdirSync(join(dir, 'features'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'featureguard.yaml'), CONFIG);
    writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS);
    project = openProject(dir);
    project.registry.apply(loadDefinitions(dir, project.config));
    const store = await project.onlineStore();
    await store.writeBatch('hourly', ['delay', 'label'], [
      { key: ['SEA'], values: [12.5, 'ok'], eventTs: US('2001-01-02T11:30:00Z'), createdTs: 0 },
      { key: ['SFO'], values: [null, 'late'], eventTs: US('2001-01-02T11:00:00Z'), createdTs: 0 },
      { key: ['OLD'], values: [1, 'stale'], eventTs: US('2001-01-02T10:59:59Z'), createdTs: 0 },
    ]);
    await store.writeBatch('forever', ['delay', 'vec'], [{ key: ['SEA'], values: [7, [0.5, 1]], eventTs: US('1999-01-01T00:00:00Z') + 123, createdTs: 0 }]);
    await store.writeBatch('per_flight', ['late'], [{ key: [42], values: [true], eventTs: US('2001-01-01T00:00:00Z'), createdTs: 0 }]);
  });
  afterAll(async () => {
    await project.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the Feast shape with every status', async () => {
    const res = await getOnlineFeatures(project, { features: ['hourly:delay', 'hourly:label'], entities: { origin: ['SEA', 'SFO', 'OLD', 'NONE'] } }, { now: NOW });
    expect(res).toEqual({
      metadata: { feature_names: ['origin', 'delay', 'label'] },
      results: [
        { values: ['SEA', 'SFO', 'OLD', 'NONE'], statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'PRESENT'], event_timestamps: Array(4).fill('1970-01-01T00:00:00Z') },
        {
          values: [12.5, null, null, null],
          statuses: ['PRESENT', 'NULL_VALUE', 'OUTSIDE_MAX_AGE', 'NOT_FOUND'],
          event_timestamps: ['2001-01-02T11:30:00Z', '2001-01-02T11:00:00Z', '2001-01-02T10:59:59Z', '1970-01-01T00:00:00Z'],
        },
        {
          values: ['ok', 'late', null, null],
          statuses: ['PRESENT', 'PRESENT', 'OUTSIDE_MAX_AGE', 'NOT_FOUND'],
          event_timestamps: ['2001-01-02T11:30:00Z', '2001-01-02T11:00:00Z', '2001-01-02T10:59:59Z', '1970-01-01T00:00:00Z'],
        },
      ],
    });
  });

  it('serves a feature service with full feature names; ttl 0 never expires', async () => {
    const res = await getOnlineFeatures(project, { service: 'model', entities: { origin: ['SEA'] }, fullFeatureNames: true }, { now: NOW });
    expect(res.metadata.feature_names).toEqual(['origin', 'hourly__label', 'forever__delay', 'forever__vec']);
    expect(res.results.map((r) => r.values[0])).toEqual(['SEA', 'ok', 7, [0.5, 1]]);
    expect(res.results[2].event_timestamps[0]).toBe('1999-01-01T00:00:00.000123Z');
  });

  it('reads int64 keys (numbers or digit strings)', async () => {
    const res = await getOnlineFeatures(project, { features: ['per_flight:late'], entities: { flight_id: [42, '42', 7] } }, { now: NOW });
    expect(res.results[1].values).toEqual([true, true, null]);
    expect(res.results[0].values).toEqual([42, 42, 7]);
  });

  it('rejects bad requests with named InputErrors', async () => {
    const bad = (req: Parameters<typeof getOnlineFeatures>[1]) => getOnlineFeatures(project, req, { now: NOW });
    await expect(bad({ features: ['hourly:nope'], entities: { origin: ['SEA'] } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("'nope'") });
    await expect(bad({ features: ['ghost:x'], entities: { origin: ['SEA'] } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("'ghost'") });
    await expect(bad({ service: 'nosuch', entities: { origin: ['SEA'] } })).rejects.toMatchObject({ status: 400, code: 'unknown_service' });
    await expect(bad({ entities: { origin: ['SEA'] } })).rejects.toMatchObject({ status: 400 });
    await expect(bad({ features: ['hourly:delay'], entities: { dest: ['SEA'] } })).rejects.toMatchObject({ status: 400, code: 'missing_join_key', message: expect.stringContaining("(given: 'dest', which no requested feature is keyed by)") });
    // Columns that are no join key of the requested features are left out, as Feast does (any length, any type).
    const extra = await bad({ features: ['hourly:delay'], entities: { origin: ['SEA'], dest: ['JFK', 'LAX'], note: [{}] as unknown as string[] } });
    expect(extra.metadata.feature_names).toEqual(['origin', 'delay']);
    await expect(bad({ features: ['hourly:delay', 'per_flight:late'], entities: { origin: ['SEA'] } })).rejects.toMatchObject({ code: 'missing_join_key' });
    await expect(bad({ features: ['hourly:delay'], entities: { origin: [42] } })).rejects.toMatchObject({ status: 400, code: 'bad_entity' });
    await expect(bad({ features: ['per_flight:late'], entities: { flight_id: [1.5] } })).rejects.toMatchObject({ status: 400, code: 'bad_entity' });
    await expect(bad({ features: ['hourly:delay', 'per_flight:late'], entities: { origin: ['SEA'], flight_id: [1, 2] } })).rejects.toMatchObject({ code: 'bad_entity' });
    await expect(bad({ features: ['hourly:delay'], entities: { origin: ['A', 'B', 'C', 'D', 'E', 'F'] } })).rejects.toMatchObject({ status: 413, code: 'too_many_entities' });
    await expect(bad({ features: ['hourly:delay', 'forever:delay'], entities: { origin: ['SEA'] } })).rejects.toMatchObject({
      code: 'feature_name_collision',
      message: expect.stringMatching(/hourly.*forever/),
    });
    // The message says what the definition has (it read "is not online (online: true)", as if it were online).
    await expect(bad({ features: ['offline_only:z'], entities: { origin: ['SEA'] } })).rejects.toMatchObject({
      code: 'view_not_online',
      message: "feature view 'offline_only' is not online (its definition has online: false) and has no online values",
    });
  });

  it('reads bigint keys and refuses what untyped JavaScript can pass with InputErrors, not TypeErrors', async () => {
    const bad = (req: unknown) => getOnlineFeatures(project, req as Parameters<typeof getOnlineFeatures>[1], { now: NOW });
    expect((await bad({ features: ['per_flight:late'], entities: { flight_id: [42n] } })).results[1].values).toEqual([true]);
    // Beyond ±2^53 a bigint is the key's text form (as materialized); beyond int64 it is refused.
    expect((await bad({ features: ['per_flight:late'], entities: { flight_id: [2n ** 60n] } })).results[0].values).toEqual(['1152921504606846976']);
    await expect(bad({ features: ['per_flight:late'], entities: { flight_id: [2n ** 63n] } })).rejects.toMatchObject({ code: 'bad_entity', message: expect.stringContaining('9223372036854775808 is out of int64 range') });
    await expect(bad({ features: ['per_flight:late'], entities: { flight_id: [NaN] } })).rejects.toMatchObject({ code: 'bad_entity', message: expect.stringContaining('got NaN') });
    // A hole is a missing value, not a row left out.
    // eslint-disable-next-line no-sparse-arrays
    await expect(bad({ features: ['per_flight:late'], entities: { flight_id: [42, , 7] } })).rejects.toMatchObject({ code: 'bad_entity', message: expect.stringContaining('row 1') });
    await expect(bad({ features: 'per_flight:late', entities: { flight_id: [42] } })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(bad({ features: ['per_flight:late:junk'], entities: { flight_id: [42] } })).rejects.toMatchObject({ code: 'unknown_feature', message: expect.stringContaining('is not a feature reference') });
    // An empty service name is a service, whatever was asked before (the plan cache keeps them apart).
    await bad({ features: ['per_flight:late'], entities: { flight_id: [42] } });
    await expect(bad({ service: '', features: ['per_flight:late'], entities: { flight_id: [42] } })).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('not both') });
  });

  it('sees registry changes (plans are cached per generation)', async () => {
    const before = await getOnlineFeatures(project, { features: ['hourly'], entities: { origin: ['SEA'] } }, { now: NOW });
    expect(before.metadata.feature_names).toEqual(['origin', 'delay', 'label']);
    writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS.replace('  - {name: label, type: string}\n', '  - {name: label, type: string}\n  - {name: extra, type: float64}\n'));
    project.registry.apply(loadDefinitions(dir, project.config));
    const after = await getOnlineFeatures(project, { features: ['hourly'], entities: { origin: ['SEA'] } }, { now: NOW });
    expect(after.metadata.feature_names).toEqual(['origin', 'delay', 'label', 'extra']);
    // Nothing was stored for the new feature: not found (a stored null would be NULL_VALUE).
    expect(after.results.map((r) => r.statuses[0])).toEqual(['PRESENT', 'PRESENT', 'PRESENT', 'NOT_FOUND']);
  });

  it('the JSON text form matches JSON.stringify of the values for any stored vectors (property)', async () => {
    const store = await project.onlineStore();
    const value = fc.oneof(fc.double(), fc.integer(), fc.constant(null), fc.string({ unit: 'binary' }), fc.constantFrom('a,b', 'q"u', '\\'));
    const vec = fc.array(fc.oneof(fc.double(), fc.constant(null)), { maxLength: 3 });
    const entity = fc.record({ delay: value, label: value, vec, age: fc.integer({ min: 0, max: 7200 }) });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(entity, { minLength: 1, maxLength: 4 }), fc.boolean(), async (rows, full) => {
        const keys = rows.map((_, i) => `P${round}_${i}`);
        round++;
        const ts = (age: number) => NOW.getTime() * 1000 - age * 1_000_000;
        await store.writeBatch('hourly', ['delay', 'label', 'extra'], rows.map((r, i) => ({ key: [keys[i]], values: [r.delay, r.label, r.delay], eventTs: ts(r.age), createdTs: 0 })));
        await store.writeBatch('forever', ['vec', 'delay'], rows.map((r, i) => ({ key: [keys[i]], values: [r.vec, r.label], eventTs: ts(r.age), createdTs: 0 })));
        await getOnlineFeatures(project, { features: ['hourly', 'forever:vec'], entities: { origin: [...keys, 'missing', keys[0]] }, fullFeatureNames: full }, { now: NOW, maxEntities: 10 });
      }),
      { numRuns: 150 },
    );
  });

  it('one entity row of numbers and booleans (one replaceAll per view) gives the same text as the general path (property)', async () => {
    const store = await project.onlineStore();
    // Mostly plain numbers and booleans; sometimes a null, a string or a list sends the row down the general path.
    const plain = fc.oneof(fc.double(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constantFrom(-0, 1e21, 5e-324));
    const value = fc.oneof({ arbitrary: plain, weight: 20 }, fc.constant(null), fc.constantFrom('a,b', 'n', '9007199254740993', '-9223372036854775808'), fc.array(fc.double(), { maxLength: 2 }));
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { minLength: 3, maxLength: 3 }),
        fc.array(value, { minLength: 2, maxLength: 2 }),
        fc.integer({ min: 0, max: 7200 }),
        fc.boolean(),
        fc.constantFrom<readonly string[]>(['hourly', 'forever'], ['forever', 'hourly'], ['hourly:label', 'hourly:delay', 'forever'], ['hourly']),
        fc.boolean(),
        async (hourly, forever, age, reordered, features, full) => {
          const key = `R${round++}`;
          const eventTs = NOW.getTime() * 1000 - age * 1_000_000 - (round % 7);
          const names = reordered ? ['extra', 'label', 'delay'] : ['delay', 'label', 'extra'];
          await store.writeBatch('hourly', names, [{ key: [key], values: hourly, eventTs, createdTs: 0 }]);
          await store.writeBatch('forever', ['delay', 'vec'], [{ key: [key], values: forever, eventTs, createdTs: 0 }]);
          await getOnlineFeatures(project, { features, entities: { origin: [key] }, fullFeatureNames: full || features.length > 1 }, { now: NOW });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('one entity row over views of different event timestamps, read again in either order, gives each view its own timestamp in both forms (property)', async () => {
    // The one-row path (`plainRowJson`) writes each view's timestamp beside its values: never another view's, whatever
    // the order of the views or what an earlier read wrote (a cache of the timestamp texts must keep them apart).
    const store = await project.onlineStore();
    const plain = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean());
    // Within the hourly view's ttl; whole seconds, milliseconds and microseconds (0, 3 and 6 fraction digits).
    const ts = fc.tuple(fc.integer({ min: 0, max: 3599 }), fc.constantFrom(0, 250_000, 123_456, 7)).map(([s, us]) => NOW.getTime() * 1000 - s * 1_000_000 - us);
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(plain, { minLength: 3, maxLength: 3 }), fc.array(plain, { minLength: 2, maxLength: 2 }), ts, ts, async (hourly, forever, hourlyTs, foreverTs) => {
        const key = `T${round++}`;
        // Every feature the view has now (a test above adds one): the row is then read without remapping.
        const hourlyFeatures = buildOnlineReadPlan(project.registry.current(), { features: ['hourly'] }).views[0].features;
        await store.writeBatch('hourly', hourlyFeatures, [{ key: [key], values: hourly.slice(0, hourlyFeatures.length), eventTs: hourlyTs, createdTs: 0 }]);
        await store.writeBatch('forever', ['delay', 'vec'], [{ key: [key], values: forever, eventTs: foreverTs, createdTs: 0 }]);
        for (const features of [['hourly', 'forever'], ['forever', 'hourly'], ['hourly', 'forever']]) {
          const res = await getOnlineFeatures(project, { features, entities: { origin: [key] }, fullFeatureNames: true }, { now: NOW });
          const names = res.metadata.feature_names.slice(1);
          expect(res.results.slice(1).map((r) => r.event_timestamps[0])).toEqual(names.map((n) => formatMicros(n.startsWith('hourly__') ? hourlyTs : foreverTs)));
          expect(res.results.slice(1).map((r) => r.statuses[0])).toEqual(names.map(() => 'PRESENT'));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a stored vector shorter or longer than its feature list reads the same in both forms (property)', async () => {
    // The stores refuse such vectors (`bad_vector`); written here straight into the SQLite file, as a
    // store of another version might have left them.
    await project.onlineStore();
    const db = new Database(join(dir, '.featureguard', 'online.db'));
    const features = ['delay', 'label', 'extra'];
    db.prepare('INSERT OR IGNORE INTO online_schemas (hash, features) VALUES (?, ?)').run(schemaHash(features), JSON.stringify(features));
    const put = db.prepare('INSERT OR REPLACE INTO online_values (view, key, event_ts, created_ts, schema, payload) VALUES (?, ?, ?, 0, ?, ?)');
    let round = 0;
    // Strings, lists and objects with commas inside: a shorter vector's commas can add up to the feature count.
    const value = fc.oneof(fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('a,b', 'x,y,z'), fc.array(fc.integer(), { minLength: 2, maxLength: 3 }), fc.constant({ a: 1, b: 2 }));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(value, { maxLength: 5 }), { minLength: 1, maxLength: 3 }), async (vectors) => {
          const keys = vectors.map((_, i) => `L${round}_${i}`);
          round++;
          vectors.forEach((values, i) => put.run('hourly', encodeKey([keys[i]]), NOW.getTime() * 1000, schemaHash(features), encodeValues(values)));
          // Written as another process would: the store reads it from the next turn of the event loop on.
          await new Promise((r) => setImmediate(r));
          for (const k of keys) await getOnlineFeatures(project, { features: ['hourly'], entities: { origin: [k] } }, { now: NOW });
          await getOnlineFeatures(project, { features: ['hourly'], entities: { origin: keys } }, { now: NOW });
        }),
        { numRuns: 200 },
      );
    } finally {
      db.close();
    }
  });

  it('formats microsecond timestamps as RFC 3339 UTC with 0, 3 or 6 fraction digits (what Python 3.10 parses), exactly (property)', () => {
    expect(formatMicros(0)).toBe('1970-01-01T00:00:00Z');
    expect(formatMicros(US('2001-01-02T03:04:05.5Z'))).toBe('2001-01-02T03:04:05.500Z');
    expect(formatMicros(US('2001-01-02T03:04:05Z') + 7)).toBe('2001-01-02T03:04:05.000007Z');
    expect(formatMicros(-1)).toBe('1969-12-31T23:59:59.999999Z');
    // The last microsecond of year 9999 is 253402300800000000 as a number (year 10000): written as the last instant.
    expect(formatMicros(Number(253402300799999999n))).toBe('9999-12-31T23:59:59.999999Z');
    // Before year 1 (DuckDB timestamps reach far earlier): the first instant RFC 3339 can write.
    expect(formatMicros(-62135596800000001)).toBe('0001-01-01T00:00:00Z');
    expect(formatMicros(-9.2e18)).toBe('0001-01-01T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: -62135596800000, max: 253402300799999 }), fc.integer({ min: 0, max: 999 }), fc.constantFrom(0, 1, 2), (ms, sub, zeros) => {
        // Whole seconds, whole milliseconds and microseconds, equally often.
        // Beyond 2^53 the sum is rounded, at the very end of year 9999 up into year 10000 (the case above).
        const us = Math.min(zeros === 0 ? Math.floor(ms / 1000) * 1_000_000 : zeros === 1 ? ms * 1000 : ms * 1000 + sub, 253402300799999968);
        const text = formatMicros(us);
        const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(text)!;
        const digits = m[2] ?? '';
        const frac = Number(BigInt(us) - (BigInt(Date.parse(`${m[1]}Z`)) * 1000n));
        expect(Number(digits.padEnd(6, '0'))).toBe(frac);
        expect(digits.length).toBe(frac === 0 ? 0 : frac % 1000 === 0 ? 3 : 6);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('getOnlineFeatures: the views of a request', () => {
  let dir: string;
  let project: Project;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-online-views-'));
    mkdirSync(join(dir, 'features'));
    writeFileSync(join(dir, 'featureguard.yaml'), CONFIG);
    writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS);
    project = openProject(dir);
    project.registry.apply(loadDefinitions(dir, project.config));
    const store = await project.onlineStore();
    await store.writeBatch('hourly', ['delay', 'label'], [{ key: ['SEA'], values: [12.5, 'ok'], eventTs: US('2001-01-02T11:30:00Z'), createdTs: 0 }]);
    await store.writeBatch('forever', ['delay', 'vec'], [{ key: ['SEA'], values: [7, [0.5, 1]], eventTs: US('1999-01-01T00:00:00Z'), createdTs: 0 }]);
    await store.writeBatch('per_flight', ['late'], [{ key: [42], values: [true], eventTs: US('2001-01-01T00:00:00Z'), createdTs: 0 }]);
  });
  afterAll(async () => {
    await project.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are read in one store call (readManyEncodedViews), in both forms; a view whose drop is pending is not read', async () => {
    const store = await project.onlineStore();
    const views = vi.spyOn(store, 'readManyEncodedViews');
    const perView = [vi.spyOn(store, 'readMany'), vi.spyOn(store, 'readManyEncoded')];
    const request = { features: ['hourly:delay', 'forever:vec', 'per_flight:late'], entities: { origin: ['SEA', 'NONE'], flight_id: [42, 7] }, fullFeatureNames: true };
    try {
      // The values, then the text of both routes (see `getOnlineFeatures` above): three reads.
      const res = await getOnlineFeatures(project, request, { now: NOW });
      expect(res.results.map((r) => r.values)).toEqual([['SEA', 'NONE'], [42, 7], [12.5, null], [[0.5, 1], null], [true, null]]);
      expect(res.results.map((r) => r.statuses)).toEqual([...new Array(2).fill(['PRESENT', 'PRESENT']), ...new Array(3).fill(['PRESENT', 'NOT_FOUND'])]);
      expect(views).toHaveBeenCalledTimes(3);
      expect(views.mock.calls[0][0]).toEqual([
        { view: 'hourly', features: ['delay'], keys: [['SEA'], ['NONE']] },
        { view: 'forever', features: ['vec'], keys: [['SEA'], ['NONE']] },
        { view: 'per_flight', features: ['late'], keys: [[42], [7]] },
      ]);
      // The views of one entity share one key list (each store encodes it once); another entity's is its own.
      const [hourly, forever, perFlight] = views.mock.calls[0][0];
      expect(forever.keys).toBe(hourly.keys);
      expect(perFlight.keys).not.toBe(hourly.keys);
      for (const spy of perView) expect(spy).not.toHaveBeenCalled();

      requestDrops(project.state, ['forever']);
      views.mockClear();
      const dropping = await getOnlineFeatures(project, request, { now: NOW });
      expect(views.mock.calls.map(([requests]) => requests.map((r) => r.view))).toEqual(new Array(3).fill(['hourly', 'per_flight']));
      expect(dropping.results[3]).toEqual({ values: [null, null], statuses: ['NOT_FOUND', 'NOT_FOUND'], event_timestamps: new Array(2).fill('1970-01-01T00:00:00Z') });
      expect(dropping.results.filter((_, i) => i !== 3)).toEqual(res.results.filter((_, i) => i !== 3));
      // The first view of the entity's key list dropping: the next one still reads its keys.
      views.mockClear();
      const reordered = await getOnlineFeatures(project, { ...request, features: ['forever:vec', 'hourly:delay'] }, { now: NOW });
      expect(views.mock.calls[0][0]).toEqual([{ view: 'hourly', features: ['delay'], keys: [['SEA'], ['NONE']] }]);
      expect(reordered.results.map((r) => r.values)).toEqual([['SEA', 'NONE'], [null, null], [12.5, null]]);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
