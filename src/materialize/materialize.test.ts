/**
 * Materialization of every feature type from a small Parquet source: values,
 * NaN, lists, timestamps, (event_ts, created_ts) ordering, deterministic ties and
 * null join keys. The flights example is tested in test/materialize-flights.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitions } from '../definitions/loader.js';
import { openOfflineEngine } from '../offline/engine.js';
import { openProject, type Project } from '../project.js';
import { materialize } from './materialize.js';

const DEFS = `kind: entity
name: thing
join_keys: [{name: id, type: int64}, {name: part, type: string}]
---
kind: source
name: things
path: data/things.parquet
timestamp_field: ts
created_timestamp_field: created
---
kind: feature_view
name: all_types
entities: [thing]
source: things
online: true
features:
  - {name: b, type: bool}
  - {name: i32, type: int32}
  - {name: i64, type: int64}
  - {name: f32, type: float32}
  - {name: f64, type: float64}
  - {name: s, type: string}
  - {name: t, type: timestamp}
  - {name: l32, type: "float32[]"}
  - {name: l64, type: "float64[]"}
`;

const ROWS = `
  -- id 1: the later event wins
  (1, 'a', TIMESTAMP '2001-01-01 10:00', NULL, false, 1, 10, 0.5, 1.5, 'old', TIMESTAMP '2000-01-01', [1.0], [1.0]),
  (1, 'a', TIMESTAMP '2001-01-01 11:00', NULL, true, -2, 9007199254740991, 0.25, 'nan'::DOUBLE, 'Zürich ✈️ 東京', TIMESTAMP '2001-02-03 04:05:06.789012', [0.5, 2.0], ['inf'::DOUBLE, -1e300]),
  -- id 2: same event time, the later created time wins
  (2, 'a', TIMESTAMP '2001-01-01 11:00', TIMESTAMP '2001-01-01 11:05', true, 1, 1, 1, 1, 'created later', NULL, NULL, []),
  (2, 'a', TIMESTAMP '2001-01-01 11:00', TIMESTAMP '2001-01-01 11:01', true, 1, 1, 1, 1, 'created earlier', NULL, NULL, []),
  -- id 3: full tie on both timestamps: deterministic by feature values
  (3, 'b', TIMESTAMP '2001-01-01 11:00', NULL, true, 1, 1, 1, 1, 'tie-a', NULL, NULL, NULL),
  (3, 'b', TIMESTAMP '2001-01-01 11:00', NULL, true, 1, 1, 1, 1, 'tie-b', NULL, NULL, NULL),
  -- null key: skipped; outside the window: ignored
  (NULL, 'x', TIMESTAMP '2001-01-01 11:00', NULL, true, 1, 1, 1, 1, 'null key', NULL, NULL, NULL),
  (4, 'c', TIMESTAMP '2001-01-02 00:00', NULL, true, 1, 1, 1, 1, 'next day', NULL, NULL, NULL)`;

const pass = async () => ({ verdict: 'pass' as const, results: [], blockedReason: null, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 } });

describe('materialize', () => {
  let dir: string;
  let project: Project;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-mat-types-'));
    mkdirSync(join(dir, 'features'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'featureguard.yaml'), 'project: types\n');
    writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS);
    await (await openOfflineEngine()).run(`COPY (SELECT * FROM (VALUES ${ROWS}) AS v(id, part, ts, created, b, i32, i64, f32, f64, s, t, l32, l64))
      TO '${join(dir, 'data', 'things.parquet')}' (FORMAT parquet)`);
    project = openProject(dir);
    project.registry.apply(loadDefinitions(dir, project.config));
  });
  afterAll(async () => {
    await project.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the latest row per entity with every feature type', async () => {
    const [r] = await materialize(project, { start: '2001-01-01', end: '2001-01-02', guardStage: pass });
    expect(r.status).toBe('success');
    expect(r.rowsRead).toBe(7);
    expect(r.entitiesWritten).toBe(3);
    const store = await project.onlineStore();
    const features = ['b', 'i32', 'i64', 'f32', 'f64', 's', 't', 'l32', 'l64'];
    const [one, two, three, nullKey, four] = await store.readMany('all_types', features, [[1, 'a'], [2, 'a'], [3, 'b'], [0, 'x'], [4, 'c']]);
    expect(one).toEqual({
      values: [true, -2, 9007199254740991, 0.25, Number.NaN, 'Zürich ✈️ 東京', '2001-02-03T04:05:06.789012Z', [0.5, 2], [Number.POSITIVE_INFINITY, -1e300]],
      eventTs: Date.parse('2001-01-01T11:00:00Z') * 1000,
      createdTs: 0,
    });
    expect(two?.values[5]).toBe('created later');
    expect(two?.createdTs).toBe(Date.parse('2001-01-01T11:05:00Z') * 1000);
    expect(two?.values.slice(6)).toEqual([null, null, []]);
    expect(three?.values[5]).toBe('tie-b');
    expect(nullKey).toBeUndefined();
    expect(four).toBeUndefined();
    // Same input, same output: a rerun of the window changes nothing.
    const [again] = await materialize(project, { start: '2001-01-01', end: '2001-01-02', guardStage: pass });
    expect(again.entitiesWritten).toBe(0);
    expect(again.skipped).toBe(3);
  });

  it('refuses options the CLI and HTTP refuse, before any run: an empty views list, a start with incremental', async () => {
    const runs = project.runs.list().total;
    // An empty list materialized every online view (an absent one does).
    await expect(materialize(project, { views: [], start: '2001-01-01', end: '2001-01-02', guardStage: pass })).rejects.toMatchObject({
      code: 'empty_views', status: 400, message: expect.stringContaining('leave views out for every online view'),
    });
    // The start was ignored: an incremental window ran from the last end instead.
    await expect(materialize(project, { views: ['all_types'], incremental: true, start: '2001-01-01', guardStage: pass })).rejects.toMatchObject({
      code: 'incremental_with_start', status: 400,
    });
    await expect(materialize(project, { views: ['all_types'], guardStage: pass })).rejects.toMatchObject({
      message: expect.not.stringContaining('--'),
    });
    expect(project.runs.list().total).toBe(runs);
  });

  it('computes the latest rows beside the guards: no tables left behind; its failure counts only when the guards let the run on', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fg-mat-side-'));
    mkdirSync(join(root, 'features'));
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'featureguard.yaml'), 'project: side\n');
    writeFileSync(join(root, 'features', 'defs.yaml'), `kind: entity
name: k
join_keys: [{name: id, type: int64}]
---
kind: source
name: src
path: data/src.parquet
timestamp_field: ts
---
kind: feature_view
name: narrow
entities: [k]
source: src
online: true
features: [{name: x, type: int32}]
`);
    // 3e9 does not fit the declared int32: casting for the online store fails.
    await (await openOfflineEngine()).run(`COPY (SELECT 1::BIGINT AS id, TIMESTAMP '2001-01-01 10:00' AS ts, 3000000000::BIGINT AS x) TO '${join(root, 'data', 'src.parquet')}' (FORMAT parquet)`);
    const p = openProject(root);
    try {
      p.registry.apply(loadDefinitions(root, p.config));
      const block = async () => ({ verdict: 'block' as const, results: [], blockedReason: 'stub says no', counts: { pass: 0, warn: 0, fail: 1, error: 0, skipped: 0 } });
      const leftovers = async () => {
        const conn = await (await p.engine()).connect();
        try {
          return (await conn.runAndReadAll("SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name LIKE 'fg_mat_%'")).getRowObjectsJS()[0].n;
        } finally {
          conn.closeSync();
        }
      };
      const [blocked] = await materialize(p, { start: '2001-01-01', end: '2001-01-02', guardStage: block });
      expect([blocked.status, blocked.message]).toEqual(['blocked', 'stub says no']);
      const [failed] = await materialize(p, { start: '2001-01-01', end: '2001-01-02', guardStage: pass });
      expect(failed.status).toBe('failed');
      expect(failed.message).toMatch(/3000000000|out of range|can't be cast/i);
      expect(await leftovers()).toBe(0);
      expect((await (await p.onlineStore()).stats()).views.narrow?.entities ?? 0).toBe(0);
    } finally {
      await p.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
