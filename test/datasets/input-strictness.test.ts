/**
 * Inputs that used to give wrong rows without a word (a review's findings, each
 * reproduced first): an entity column named `rowid` ordering the output, CSV
 * integers with a fraction rounded into another entity's key, source timestamps
 * whose UTC offset is none moving rows in time, an Arrow Float64 key beyond
 * ±2^53, a split instant below the microsecond cut down, and int64 values
 * beyond ±2^53 written as bare JSON numbers. Plus clearer errors: a control
 * character in a column name (was a 500), an all-null int key column, a 20-digit
 * key, an empty entity query, full feature names that collide, a header line
 * shorter than the rows.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { getHistoricalFeatures, type HistoricalFeaturesRequest } from '../../src/offline/historical.js';
import type { Project } from '../../src/project.js';
import { buildFailure, definitions, makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;

/** A CSV source keyed by user_id (int64) with an int64 feature, and a view over it. */
const csvDefinitions = [
  ...definitions,
  defineSource({ name: 'scores_src', path: 'data/scores.csv', timestamp_field: 'ts' }),
  defineFeatureView({ name: 'scores', entities: ['user'], source: 'scores_src', features: [{ name: 'score', type: 'int64' }] }),
];
const SCORES = 'user_id,ts,score\n1,2024-01-01T01:00:00Z,100\n2,2024-01-01T01:00:00Z,200\n3,2024-01-01T01:00:00Z,300\n';

beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
  writeFileSync(join(dir, 'data', 'scores.csv'), SCORES);
  project.registry.apply(csvDefinitions);
});
afterAll(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const build = (req: Omit<HistoricalFeaturesRequest, 'baseDir'>) => getHistoricalFeatures(project, { baseDir: dir, ...req });
const failure = (req: Omit<HistoricalFeaturesRequest, 'baseDir'>) => buildFailure(project, dir, req);
const rows = (res: Awaited<ReturnType<typeof build>>) =>
  res.table!.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));

describe('an entity column named rowid', () => {
  it('passes through in its place and does not decide the order: CSV, SQL and rows keep the input order', async () => {
    writeFileSync(join(dir, 'rowid.csv'), 'rowid,user_id,event_timestamp\n3,1,2024-01-01T00:30:00Z\n2,1,2024-01-01T01:30:00Z\n1,1,2024-01-01T04:00:00Z\n');
    const inputs: HistoricalFeaturesRequest['entities'][] = [
      'rowid.csv',
      { kind: 'sql', sql: `SELECT * FROM read_csv('${join(dir, 'rowid.csv')}')` },
      [
        { ROWID: 'b', user_id: 1, event_timestamp: '2024-01-01T00:30:00Z' },
        { ROWID: 'a', user_id: 1, event_timestamp: '2024-01-01T01:30:00Z' },
      ],
    ];
    for (const entities of inputs) {
      const res = await build({ entities, features: ['user_stats:txn_count'] });
      const out = rows(res);
      expect(res.table!.schema.fields.map((f) => f.name)[0], JSON.stringify(entities)).toMatch(/^rowid$/i);
      const times = [...res.table!.getChild('event_timestamp')!.toArray()].map((t) => new Date(Number(t) / 1000).toISOString().slice(11, 16));
      expect(times, JSON.stringify(entities)).toEqual(['00:30', '01:30', '04:00'].slice(0, out.length));
      expect(out.map((r) => r.rowid ?? r.ROWID)).toEqual(Array.isArray(entities) ? ['b', 'a'] : [3, 2, 1]);
    }
  });
});

describe('CSV integers with a fraction', () => {
  it('an entity key of 2.5 is refused (DuckDB would round it to 3, another user); 2.0 is user 2', async () => {
    writeFileSync(join(dir, 'frac.csv'), 'user_id,event_timestamp\n1,2024-01-01T04:00:00Z\n2.5,2024-01-01T04:00:00Z\n');
    const e = await failure({ entities: 'frac.csv', features: ['scores:score'] });
    expect(e).toMatchObject({ code: 'wrong_join_key_type', exitCode: 2, details: { column: 'user_id', value: '2.5' } });
    expect(e.message).toBe("entity column 'user_id' holds '2.5', which is no int64 (join key of entity 'user'); give whole numbers within the int64 range");
    writeFileSync(join(dir, 'whole.csv'), 'user_id,event_timestamp\n2.0,2024-01-01T04:00:00Z\n3,2024-01-01T04:00:00Z\n');
    expect(rows(await build({ entities: 'whole.csv', features: ['scores:score'] })).map((r) => [r.user_id, r.score])).toEqual([[2, 200], [3, 300]]);
    writeFileSync(join(dir, 'abc.csv'), 'user_id,event_timestamp\n1,2024-01-01T04:00:00Z\nabc,2024-01-01T04:00:00Z\n');
    expect(await failure({ entities: 'abc.csv', features: ['scores:score'] })).toMatchObject({ code: 'wrong_join_key_type', details: { value: 'abc' } });
  });

  it("a source's key or int feature of 2.5 fails the build naming the value, instead of joining user 3 to it", async () => {
    try {
      writeFileSync(join(dir, 'data', 'scores.csv'), `${SCORES}2.5,2024-01-01T01:00:00Z,999\n`);
      const e = await failure({ entities: [{ user_id: 3, event_timestamp: '2024-01-01T04:00:00Z' }], features: ['scores:score'] });
      expect(e).toMatchObject({ code: 'source_unreadable', exitCode: 3 });
      expect(e.message).toMatch(/could not read its source 'scores_src' .*column 'user_id' holds '2\.5', which is no whole number, as its declared type int64 requires/);
      writeFileSync(join(dir, 'data', 'scores.csv'), `${SCORES}4,2024-01-01T01:00:00Z,4.5\n`);
      expect((await failure({ entities: [{ user_id: 4, event_timestamp: '2024-01-01T04:00:00Z' }], features: ['scores:score'] })).message).toMatch(/column 'score' holds '4\.5', which is no whole number, as its declared type int64 requires/);
      writeFileSync(join(dir, 'data', 'scores.csv'), `${SCORES}4,2024-01-01T01:00:00Z,4.0\n`);
      expect(rows(await build({ entities: [{ user_id: 4, event_timestamp: '2024-01-01T04:00:00Z' }], features: ['scores:score'] })).map((r) => r.score)).toEqual([4]);
    } finally {
      writeFileSync(join(dir, 'data', 'scores.csv'), SCORES);
    }
  });
});

describe('source timestamps whose UTC offset is none', () => {
  it('fail the build naming the value, instead of moving the row days earlier (a future value)', async () => {
    try {
      for (const ts of ['2024-01-05T03:00:00+99', '2024-01-02T03:00:00+24:00', '2024-01-01T03:00:00+09:60']) {
        writeFileSync(join(dir, 'data', 'scores.csv'), `${SCORES}5,${ts},500\n`);
        const e = await failure({ entities: [{ user_id: 5, event_timestamp: '2024-01-01T04:00:00Z' }], features: ['scores:score'] });
        expect(e, ts).toMatchObject({ code: 'source_unreadable' });
        expect(e.message).toContain(`timestamp '${ts}' in column ts has no valid UTC offset (hours 00-23, minutes and seconds 00-59)`);
      }
      // Real offsets are honoured: 05:00+02:00 is 03:00Z, before the entity's 04:00Z.
      writeFileSync(join(dir, 'data', 'scores.csv'), `${SCORES}5,2024-01-01T05:00:00+02:00,500\n5,2024-01-01T04:30:00-00:30,501\n`);
      expect(rows(await build({ entities: [{ user_id: 5, event_timestamp: '2024-01-01T04:00:00Z' }], features: ['scores:score'] })).map((r) => r.score)).toEqual([500]);
    } finally {
      writeFileSync(join(dir, 'data', 'scores.csv'), SCORES);
    }
  });
});

describe('entity rows from the SDK', () => {
  const at = '2024-01-01T04:00:00Z';
  it('an Arrow Float64 key beyond ±2^53 is refused like the same number in rows (two ids would become one)', async () => {
    const table = tableFromArrays({ user_id: Float64Array.from([9007199254740993, 1]), event_timestamp: ['2024-01-01T04:00:00Z', '2024-01-01T04:00:00Z'] });
    const e = await failure({ entities: table, features: ['scores:score'] });
    expect(e).toMatchObject({ code: 'bad_entity_value', exitCode: 2, message: expect.stringMatching(/^entity column 'user_id' holds 9007199254740992 in row 0 \(counting from 0\), a number beyond ±2\^53/) });
    // Whole numbers within range still join.
    const ok = tableFromArrays({ user_id: Float64Array.from([2, 1]), event_timestamp: [at, at] });
    expect(rows(await build({ entities: ok, features: ['scores:score'] })).map((r) => r.score)).toEqual([200, 100]);
  });

  it('a bigint among fractions in a pass-through column is the nearest double, as a whole number is (it was "mixes value types")', async () => {
    const res = await build({ entities: [{ user_id: 1, event_timestamp: at, weight: 0.5 }, { user_id: 2, event_timestamp: at, weight: 9007199254740993n }], features: ['scores:score'] });
    expect(String(res.table!.schema.fields.find((f) => f.name === 'weight')!.type)).toBe('Float64');
    expect(rows(res).map((r) => r.weight)).toEqual([0.5, 9007199254740992]);
  });

  it('say what is wrong: a control character in a column name, all-null int keys, a 20-digit key, an empty query', async () => {
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, 'a\u0000b': 1 }], features: ['scores:score'] })).toMatchObject({
      code: 'bad_column_name', status: 400, message: 'entity column name "a\\u0000b" holds a control character; rename it',
    });
    // Keys that are all null are missing values of an int64 column, not text: the guards say so.
    const nulls = await build({ entities: [{ user_id: null, event_timestamp: at }], features: ['scores:score'] });
    expect([nulls.status, nulls.run.message]).toEqual(['blocked', 'schema.null_key: 1 row(s) with a null join key user_id']);
    expect(await failure({ entities: [{ user_id: '12345678901234567890', event_timestamp: at }], features: ['scores:score'] })).toMatchObject({
      code: 'bad_entity_value', message: "entity column 'user_id' holds 12345678901234567890 in row 0 (counting from 0), outside the 64-bit integer range of its join key",
    });
    expect(await failure({ entities: { kind: 'sql', sql: '  ' }, features: ['scores:score'] })).toMatchObject({ code: 'bad_entity_sql', message: expect.stringMatching(/^the entity SQL is empty/) });
  });

  it('full feature names that still collide say so, instead of asking for full feature names', async () => {
    project.registry.apply([
      ...csvDefinitions,
      defineFeatureView({ name: 'a', entities: ['user'], source: 'scores_src', features: [{ name: 'b__score', type: 'int64' }] }),
      defineFeatureView({ name: 'a__b', entities: ['user'], source: 'scores_src', features: [{ name: 'score', type: 'int64' }] }),
    ]);
    try {
      const e = await failure({ entities: [{ user_id: 1, event_timestamp: at }], features: ['a:b__score', 'a__b:score'], fullFeatureNames: true });
      expect(e).toMatchObject({ code: 'feature_name_collision', message: "features of 'a' and 'a__b' both become column 'a__b__score' with full feature names (view__feature: a view or feature name holds '__'); select only one of them" });
    } finally {
      project.registry.apply(csvDefinitions, { allowBreaking: true });
    }
  });
});

describe('entity CSV with rows longer than the header', () => {
  it('is said to have a header that looks like data, not to lack a timestamp column', async () => {
    writeFileSync(join(dir, 'long-rows.csv'), 'user_id,event_timestamp\n1,2024-01-01T04:00:00Z,extra\n');
    expect(await failure({ entities: 'long-rows.csv', features: ['scores:score'] })).toMatchObject({
      code: 'bad_entity_file', message: expect.stringMatching(/^the entity file's column names look like data \(1, 2024-01-01T04:00:00Z, extra\)/),
    });
  });
});

describe('a split instant below the microsecond', () => {
  it('rounds up: a row at .000000 is before .0000005 and goes to train', async () => {
    const at = (us: number) => `2024-01-01T03:00:00.00000${us}Z`;
    const res = await build({ entities: [{ user_id: 1, event_timestamp: at(0) }, { user_id: 1, event_timestamp: at(0) }, { user_id: 1, event_timestamp: at(1) }], features: ['scores:score'], splitAt: '2024-01-01T03:00:00.0000005Z' });
    expect(res.outputs.map((o) => [o.part, o.rows])).toEqual([['train', 2], ['test', 1]]);
  });
});

describe('JSON output', () => {
  it('writes int64 values beyond ±(2^53 − 1) as their decimal text, as the online API serves them; others as numbers', async () => {
    const out = join(dir, 'wide.json');
    await build({ entities: [{ user_id: 1, event_timestamp: '2024-01-01T04:00:00Z', id: 9007199254740993n }, { user_id: 2, event_timestamp: '2024-01-01T04:00:00Z', id: 9007199254740991n }], features: ['scores:score'], out, format: 'json' });
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('"id":"9007199254740993"');
    expect(text).toContain('"id":9007199254740991');
    expect((JSON.parse(text) as { score: number }[]).map((r) => r.score)).toEqual([100, 200]);
  });
});
