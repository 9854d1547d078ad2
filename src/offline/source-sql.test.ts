import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../definitions/define.js';
import { checkSources } from '../definitions/source-check.js';
import { definitionSet } from '../definitions/definition-set.js';
import { DefinitionError } from '../errors.js';
import type { FeatureDef, SourceDef } from '../definitions/types.js';
import { literal, openOfflineEngine } from './engine.js';
import { fingerprintSource } from './fingerprint.js';
import { csvCastExpr, duckdbType, runSetup, sourceKeySql, sourceRelationSql, sourceUnreadable, viewRelationSql, type SourceRelation } from './source-sql.js';

let root: string;
const roots = () => ({ root, dataRoots: [] });

async function rows(rel: SourceRelation): Promise<Record<string, unknown>[]> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    await runSetup(conn, rel.setup);
    return (await conn.runAndReadAll(`${rel.select} ORDER BY 1, 2`)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

async function types(rel: SourceRelation): Promise<Record<string, string>> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    await runSetup(conn, rel.setup);
    const r = (await conn.runAndReadAll(`DESCRIBE ${rel.select}`)).getRowObjectsJson();
    return Object.fromEntries(r.map((x) => [String(x.column_name), String(x.column_type)]));
  } finally {
    conn.closeSync();
  }
}

const airport = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] });
const features: FeatureDef[] = [
  { name: 'departures', type: 'int64' },
  { name: 'share_delayed', type: 'float32' },
  { name: 'busy', type: 'bool' },
  { name: 'embedding', type: 'float64[]' },
];
const spec = { joinKeys: airport.join_keys, features };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fg-source-sql-'));
  mkdirSync(join(root, 'data'));
  const engine = await openOfflineEngine();
  // Parquet with upper-case source names (renamed by field_mapping), int32 counts and TIMESTAMPTZ event times.
  await engine.run(`COPY (SELECT * FROM (VALUES
      ('SEA', TIMESTAMPTZ '2001-01-01 10:00:00.123456+02:00', TIMESTAMP '2001-01-01 09:00:00', 3::INTEGER, 0.25::DOUBLE, true, [1.0, 2.0]::FLOAT[]),
      ('JFK', TIMESTAMPTZ '2001-01-01 23:30:00.000001-05:00', NULL, 7::INTEGER, 0.5::DOUBLE, false, [3.0]::FLOAT[])
    ) t(ORIGIN, hour, computed_at, DEPS, share_delayed, busy, embedding)) TO ${literal(join(root, 'data/a.parquet'))} (FORMAT parquet)`);
  writeFileSync(
    join(root, 'data/a.csv'),
    'ORIGIN,hour,DEPS,share_delayed,busy,embedding\nSEA,2001-01-01T10:00:00.123456+02:00,3,0.25,true,"[1.0, 2.0]"\nJFK,2001-01-02 04:30:00.000001,7,0.5,false,[3.0]\n',
  );
  const db = await DuckDBInstance.create(join(root, 'data/a.duckdb'));
  const c = await db.connect();
  await c.run("SET TimeZone = 'UTC'");
  await c.run(`CREATE TABLE hourly AS SELECT * FROM read_parquet(${literal(join(root, 'data/a.parquet'))})`);
  // A view that reads a file of its own choosing (here one of the project's; it could be any file).
  await c.run(`CREATE VIEW sneaky AS SELECT * FROM read_parquet(${literal(join(root, 'data/a.parquet'))})`);
  await c.run('CREATE SCHEMA s2');
  await c.run(`CREATE VIEW s2.Hourly2 AS SELECT * FROM hourly`);
  c.closeSync();
  db.closeSync();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const mapping = { ORIGIN: 'origin', DEPS: 'departures' };
const expected = [
  { origin: 'JFK', event_timestamp: '2001-01-02 04:30:00.000001', departures: '7', share_delayed: 0.5, busy: false, embedding: [3] },
  { origin: 'SEA', event_timestamp: '2001-01-01 08:00:00.123456', departures: '3', share_delayed: 0.25, busy: true, embedding: [1, 2] },
];

describe('sourceRelationSql', () => {
  it('maps feature types to DuckDB types', () => {
    expect(['bool', 'int32', 'int64', 'float32', 'float64', 'string', 'timestamp', 'float32[]', 'float64[]'].map((t) => duckdbType(t as FeatureDef['type'])))
      .toEqual(['BOOLEAN', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'VARCHAR', 'TIMESTAMP', 'FLOAT[]', 'DOUBLE[]']);
  });

  it('reads parquet with field_mapping, TIMESTAMPTZ → UTC and declared types', async () => {
    const src = defineSource({ name: 'p', path: 'data/a.parquet', timestamp_field: 'hour', created_timestamp_field: 'computed_at', field_mapping: mapping });
    const rel = sourceRelationSql(roots(), src, spec);
    expect(await types(rel)).toEqual({
      origin: 'VARCHAR', event_timestamp: 'TIMESTAMP', created_timestamp: 'TIMESTAMP', departures: 'BIGINT', share_delayed: 'FLOAT', busy: 'BOOLEAN', embedding: 'DOUBLE[]',
    });
    const got = await rows(rel);
    expect(got.map(({ created_timestamp: _, ...r }) => r)).toEqual(expected);
    expect(got.map((r) => r.created_timestamp)).toEqual([null, '2001-01-01 09:00:00']);
  });

  it('reads CSV as text and casts to the declared types, honouring offsets', async () => {
    const src = defineSource({ name: 'c', path: 'data/a.csv', timestamp_field: 'hour', field_mapping: mapping });
    const rel = sourceRelationSql(roots(), src, spec);
    expect((await types(rel)).created_timestamp).toBe('TIMESTAMP');
    const got = await rows(rel);
    expect(got.map(({ created_timestamp: _, ...r }) => r)).toEqual(expected);
    expect(got.every((r) => r.created_timestamp === null)).toBe(true);
  });

  it('honours the offset of timestamps stored as text in Parquet files and queries (tables are read alike) (DuckDB\'s plain cast drops it)', async () => {
    const file = join(root, 'data/text-ts.parquet');
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT * FROM (VALUES ('SEA', '2001-01-01 10:00:00.123456+02:00', '2001-01-01 09:00:00', 3, 0.25, true, [1.0, 2.0]),
      ('JFK', '2001-01-01T23:30:00.000001-05:00', NULL, 7, 0.5, false, [3.0])) t(ORIGIN, hour, computed_at, DEPS, share_delayed, busy, embedding))
      TO ${literal(file)} (FORMAT parquet)`);
    const textTs: SourceDef[] = [
      defineSource({ name: 'p', path: 'data/text-ts.parquet', timestamp_field: 'hour', created_timestamp_field: 'computed_at', field_mapping: mapping }),
      defineSource({ name: 'q', query: "SELECT * FROM 'data/text-ts.parquet'", timestamp_field: 'hour', created_timestamp_field: 'computed_at', field_mapping: mapping }),
    ];
    for (const src of textTs) {
      const got = await rows(sourceRelationSql(roots(), src, spec));
      expect(got.map(({ created_timestamp: _, ...r }) => r), src.name).toEqual(expected);
      expect(got.map((r) => r.created_timestamp)).toEqual([null, '2001-01-01 09:00:00']);
    }
    // A timestamp feature stored as text too.
    const withTs = await rows(sourceRelationSql(roots(), textTs[0], { joinKeys: airport.join_keys, features: [{ name: 'hour', type: 'timestamp' }] }));
    expect(withTs.map((r) => r.hour)).toEqual(['2001-01-02 04:30:00.000001', '2001-01-01 08:00:00.123456']);
  });

  it('reads the missing-value markers of a CSV as NULL in typed features, refuses other text, and refuses a marker as a key', async () => {
    const write = (name: string, body: string) => writeFileSync(join(root, 'data', name), `ORIGIN,hour,DEPS,share_delayed,busy,embedding\n${body}`);
    const read = (name: string) => rows(sourceRelationSql(roots(), defineSource({ name: 'm', path: `data/${name}`, timestamp_field: 'hour', field_mapping: mapping }), spec));
    write('markers.csv', 'SEA,2001-01-01 10:00:00,NA,n/a,,[1.0]\nJFK,2001-01-01 11:00:00, null ,None,NULL,[2.0]\n');
    expect((await read('markers.csv')).map((r) => [r.origin, r.departures, r.share_delayed, r.busy])).toEqual([['JFK', null, null, null], ['SEA', null, null, null]]);
    write('text.csv', 'SEA,2001-01-01 10:00:00,lots,0.5,true,[1.0]\n');
    await expect(read('text.csv')).rejects.toThrow(/lots/);
    write('key.csv', 'NA,2001-01-01 10:00:00,3,0.5,true,[1.0]\n');
    // A string key is read as it is ('NA' is an airport code as good as any); in a typed key a marker is an
    // error, as any other text, not a NULL key.
    expect((await read('key.csv')).map((r) => r.origin)).toEqual(['NA']);
    const intKey = sourceRelationSql(roots(), defineSource({ name: 'm', path: 'data/key.csv', timestamp_field: 'hour', field_mapping: mapping }), { ...spec, joinKeys: [{ name: 'origin', type: 'int64' }] });
    await expect(rows(intKey)).rejects.toThrow(/'NA'.*source column ORIGIN/);
  });

  it('reads a CSV as DuckDB writes one (a push): "" is the empty string, an unquoted empty field NULL, in any file', async () => {
    const label = { joinKeys: airport.join_keys, features: [{ name: 'label', type: 'string' } as FeatureDef] };
    const read = (name: string) => rows(sourceRelationSql(roots(), defineSource({ name: 'e', path: `data/${name}`, timestamp_field: 'hour' }), label));
    const conn = await (await openOfflineEngine()).connect();
    try {
      // One row alone (the sniffer saw no quote and read `""` as two characters), then rows with other quoted text.
      const copy = (values: string, name: string) =>
        conn.run(`COPY (SELECT * FROM (VALUES ${values}) t(origin, hour, label)) TO ${literal(join(root, 'data', name))} (FORMAT csv, HEADER true)`);
      await copy(`('SEA', '2001-01-01 10:00:00', '')`, 'empty-one.csv');
      expect((await read('empty-one.csv')).map((r) => r.label)).toEqual(['']);
      await copy(`('AAA', '2001-01-01 10:00:00', ''), ('BBB', '2001-01-01 10:00:00', NULL), ('CCC', '2001-01-01 10:00:00', 'a,"b"'), ('DDD', '2001-01-01 10:00:00', 'NULL')`, 'empty-many.csv');
      expect((await read('empty-many.csv')).map((r) => r.label)).toEqual(['', null, 'a,"b"', 'NULL']);
    } finally {
      conn.closeSync();
    }
  });

  it('refuses a CSV timestamp feature whose UTC offset is none (+24:00, +99), as the timestamp field is; the guards\' try-cast reads it as unparsed', async () => {
    const conn = await (await openOfflineEngine()).connect();
    const read = async (t: string, try_: boolean) =>
      (await conn.runAndReadAll(`SELECT ${csvCastExpr('last_login', 'timestamp', try_)} AS v FROM (VALUES (${literal(t)})) t(last_login)`)).getRowObjectsJson()[0].v;
    try {
      for (const bad of ['2026-11-30T10:00:00+24:00', '2026-11-30T10:00:00+99', '2026-11-30 10:00:00+09:60']) {
        await expect(read(bad, false), bad).rejects.toThrow(/has no valid UTC offset/);
        expect(await read(bad, true), bad).toBeNull();
      }
      expect([await read('2026-11-30T10:00:00+02:00', false), await read('2026-11-30T10:00:00+02:00', true), await read(' NA ', false)])
        .toEqual(['2026-11-30 08:00:00', '2026-11-30 08:00:00', null]);
    } finally {
      conn.closeSync();
    }
  });

  it('says how to convert epoch seconds or milliseconds when a run cannot read them as an event time', async () => {
    writeFileSync(join(root, 'data/epoch.csv'), 'ORIGIN,hour,DEPS,share_delayed,busy,embedding\nSEA,1796224175,3,0.25,true,[1.0]\n');
    const src = defineSource({ name: 'e', path: 'data/epoch.csv', timestamp_field: 'hour', field_mapping: mapping });
    const failed = await rows(sourceRelationSql(roots(), src, spec)).then(() => undefined, (e: unknown) => e);
    expect(failed).toBeDefined();
    const message = sourceUnreadable('v', src, failed, root).message;
    expect(message).toContain('timestamp field value out of range: "1796224175"');
    expect(message).toContain("looks like epoch seconds or milliseconds: convert it in a query source, query: SELECT *, to_timestamp(hour::BIGINT) AS hour_utc FROM read_csv('data/epoch.csv')");
  });

  it('reads a CSV list only when every element is a value or a null: a bad element fails the read, or is NULL for the guards to count', async () => {
    const conn = await (await openOfflineEngine()).connect();
    const texts = ['[1.0, abc]', '[1.0,]', '[1.5, NULL]', '[]', 'NA', 'abc', null];
    const values = texts.map((t) => `(${t === null ? 'NULL' : literal(t)})`).join(', ');
    const read = async (try_: boolean) =>
      (await conn.runAndReadAll(`SELECT ${csvCastExpr('v', 'float64[]', try_)} AS v FROM (VALUES ${values}) t(v)`)).getRowObjectsJson().map((r) => r.v);
    try {
      expect(await read(true)).toEqual([null, null, [1.5, null], [], null, null, null]);
      await expect(read(false)).rejects.toThrow(/'abc'/);
      const good = async (t: string) => (await conn.runAndReadAll(`SELECT ${csvCastExpr('v', 'float32[]', false)} AS v FROM (VALUES (${literal(t)})) t(v)`)).getRowObjectsJson()[0].v;
      expect([await good('[1.5, NULL]'), await good(' n/a ')]).toEqual([[1.5, null], null]);
      await expect(good('[1.0,]')).rejects.toThrow(/Could not convert string '' to FLOAT/);
    } finally {
      conn.closeSync();
    }
  });

  it('reads a table of a DuckDB file attached read-only', async () => {
    const src = defineSource({ name: 'd', database: 'data/a.duckdb', table: 'hourly', timestamp_field: 'hour', field_mapping: mapping });
    const rel = sourceRelationSql(roots(), src, spec);
    expect(rel.setup.some((s) => typeof s !== 'string' && s.key.startsWith('attach:'))).toBe(true);
    expect((await rows(rel)).map(({ created_timestamp: _, ...r }) => r)).toEqual(expected);
    // Twice on the same instance: ATTACH IF NOT EXISTS is idempotent.
    expect((await rows(rel)).length).toBe(2);
  });

  it('refuses a view of a DuckDB file (SQL that could read any file), by any spelling of its name', async () => {
    for (const table of ['sneaky', 'main.SNEAKY', 's2.hourly2']) {
      const src = defineSource({ name: 'v', database: 'data/a.duckdb', table, timestamp_field: 'hour', field_mapping: mapping });
      const error = await rows(sourceRelationSql(roots(), src, spec)).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(DefinitionError);
      expect((error as DefinitionError).message).toMatch(/in 'data\/a.duckdb' is a view; a view is SQL that can read any file, so featureguard reads tables only/);
    }
    // `validate` says it once, at the source's table (not wrapped in "cannot read the source: <the same problem>").
    const problems = await checkSources(roots(), [defineSource({ name: 'v', database: 'data/a.duckdb', table: 'sneaky', timestamp_field: 'hour' })]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '/table', message: expect.stringMatching(/^'sneaky' in 'data\/a.duckdb' is a view;/) });
  });

  it('wraps a query whose relative paths resolve against the project root', async () => {
    const src = defineSource({ name: 'q', query: "SELECT * FROM read_parquet('data/a.parquet') WHERE DEPS > 0;", timestamp_field: 'hour', field_mapping: mapping });
    expect((await rows(sourceRelationSql(roots(), src, spec))).map(({ created_timestamp: _, ...r }) => r)).toEqual(expected);
  });

  it('builds the full relation of a view', async () => {
    const src = defineSource({ name: 'p', path: 'data/a.parquet', timestamp_field: 'hour', field_mapping: mapping });
    const view = defineFeatureView({ name: 'v', entities: ['airport'], source: 'p', features });
    const set = definitionSet([airport, src, view]);
    expect(Object.keys(await types(viewRelationSql(roots(), set, view)))).toEqual(['origin', 'event_timestamp', 'created_timestamp', ...features.map((f) => f.name)]);
  });

  it('refuses paths outside the project root', () => {
    const bad: SourceDef[] = [
      defineSource({ name: 'x', path: '../outside.parquet', timestamp_field: 'ts' }),
      defineSource({ name: 'y', path: '/etc/passwd.csv', timestamp_field: 'ts' }),
      defineSource({ name: 'z', database: 'data/../../x.duckdb', table: 't', timestamp_field: 'ts' }),
    ];
    for (const s of bad) expect(() => sourceRelationSql(roots(), s, spec)).toThrow(DefinitionError);
  });

  it('refuses a symbolic link leading out of the project root at run time too (validate refuses it; apply only warns)', () => {
    const outside = mkdtempSync(join(tmpdir(), 'fg-outside-'));
    try {
      writeFileSync(join(outside, 'secret.parquet'), 'x');
      symlinkSync(join(outside, 'secret.parquet'), join(root, 'data', 'linked.parquet'));
      symlinkSync(join(outside, 'secret.parquet'), join(root, 'data', 'linked.duckdb'));
      for (const s of [defineSource({ name: 'l', path: 'data/linked.parquet', timestamp_field: 'ts' }), defineSource({ name: 'd', database: 'data/linked.duckdb', table: 't', timestamp_field: 'ts' })]) {
        expect(() => sourceRelationSql(roots(), s, spec)).toThrow(/resolves \(through a symbolic link\) to a file outside the project root/);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('never rounds a non-CSV integer key with a fraction into another key: refused naming the value, whole numbers read as they are', async () => {
    const conn = await (await openOfflineEngine()).connect();
    const src = defineSource({ name: 'p', path: 'p.parquet', timestamp_field: 'ts' });
    const key = { name: 'customer_id', type: 'int64' as const };
    const read = (values: string) => conn.runAndReadAll(`SELECT ${sourceKeySql(src, key)} AS k FROM (VALUES ${values}) t(customer_id)`).then(
      (r) => JSON.stringify(r.getRowsJS().map((x) => String(x[0]))), (e: unknown) => String(e));
    try {
      expect(await read('(7::BIGINT), (9007199254740993::BIGINT)')).toBe('["7","9007199254740993"]');
      expect(await read('(2.0::DECIMAL(21,1)), (3.0::DOUBLE)')).toBe('["2","3"]');
      expect(await read('(1.6::DECIMAL(21,1))')).toMatch(/source p: column customer_id holds '1\.6', which is no whole number \(join key of type int64\)/);
      expect(await read('(2.5::DOUBLE)')).toMatch(/holds '2\.5', which is no whole number/);
      expect(await read("('2.5')")).toMatch(/holds '2\.5', which is no whole number/);
    } finally {
      conn.closeSync();
    }
  });

  it('refuses a source whose join key column has a type the declared type does not accept, before reading a row', async () => {
    const conn = await (await openOfflineEngine()).connect();
    const file = join(root, 'retyped.parquet');
    await conn.run(`COPY (SELECT 1.6::DECIMAL(21,1) AS customer_id, TIMESTAMP '2001-01-01' AS ts, 1.0 AS x) TO ${literal(file)} (FORMAT parquet)`);
    conn.closeSync();
    const src = defineSource({ name: 'p', path: 'retyped.parquet', timestamp_field: 'ts', field_mapping: { customer_id: 'cid' } });
    const rel = sourceRelationSql(roots(), src, { joinKeys: [{ name: 'cid', type: 'int64' }], features: [] });
    await expect(rows(rel)).rejects.toThrow(/^join key 'cid' \(column 'customer_id' via field_mapping\) is DECIMAL\(21,1\) in the source, declared int64, which accepts TINYINT, .*: read as int64, its values could become other entities' keys/);
    rmSync(file);
  });

  it('refuses a Parquet glob whose later file holds a column read in a type the first file\'s would bend, or lacks it, naming file, column and types', async () => {
    const dir = join(root, 'sales');
    mkdirSync(dir);
    const conn = await (await openOfflineEngine()).connect();
    const part = (n: number, cols: string) => conn.run(`COPY (SELECT 'SEA' AS "ORIGIN", TIMESTAMP '2001-01-01 10:00:00' AS hour, ${cols}) TO ${literal(join(dir, `part-${n}.parquet`))} (FORMAT parquet)`);
    const qty = { joinKeys: airport.join_keys, features: [{ name: 'qty', type: 'int64' } as FeatureDef] };
    const read = () => rows(sourceRelationSql(roots(), defineSource({ name: 'g', path: 'sales/part-*.parquet', timestamp_field: 'hour', field_mapping: { ORIGIN: 'origin' } }), qty));
    // A glob's files are scanned in parallel: the rows come in no set order.
    const refused = () => read().then((r) => `read ${JSON.stringify(r.map((x) => x.qty).sort())}`, (e: unknown) => (e instanceof DefinitionError ? e.message : `other: ${String(e)}`));
    try {
      await part(1, '1::INTEGER AS qty, 0 AS unused');
      // Narrower integers and another type of an unread column are read as they are.
      await part(2, "2::SMALLINT AS qty, 'x' AS unused");
      expect(await refused()).toBe('read ["1","2"]');
      await part(3, '2.5::DOUBLE AS qty');
      expect(await refused()).toMatch(/'sales\/part-3\.parquet' \(matched by 'sales\/part-\*\.parquet'\) has column 'qty' as DOUBLE \(feature 'qty', declared int64, which accepts .*\): DuckDB would cast it into the first file's INTEGER \('sales\/part-1\.parquet'\)/);
      // A wider integer (pandas' int64 after Spark's int32) is read: DuckDB's narrowing fails on a value out of range.
      await part(3, '3::BIGINT AS qty');
      expect((await read()).map((x) => x.qty).sort()).toEqual(['1', '2', '3']);
      await part(3, '5000000000::BIGINT AS qty');
      expect(await refused()).toMatch(/^other: .*Conversion Error.*5000000000/s);
      // Nanosecond event times (pandas + pyarrow) after microsecond ones (Spark, DuckDB): read in µs, as a lone ns file is.
      await conn.run(`COPY (SELECT 'SEA' AS "ORIGIN", TIMESTAMP_NS '2001-01-02 10:00:00.123456789' AS hour, 3::BIGINT AS qty) TO ${literal(join(dir, 'part-3.parquet'))} (FORMAT parquet)`);
      expect((await conn.runAndReadAll(`SELECT typeof(hour) FROM ${literal(join(dir, 'part-3.parquet'))}`)).getRows()[0][0]).toBe('TIMESTAMP_NS');
      expect((await read()).map((x) => [x.event_timestamp, x.qty]).sort()).toEqual([['2001-01-01 10:00:00', '1'], ['2001-01-01 10:00:00', '2'], ['2001-01-02 10:00:00.123456', '3']]); // a glob's rows come in no set order
      // A finer time into a coarser one is still refused: the first file's DATE would drop the time of day.
      await conn.run(`COPY (SELECT 'SEA' AS "ORIGIN", DATE '2001-01-01' AS hour, 1::INTEGER AS qty) TO ${literal(join(dir, 'part-1.parquet'))} (FORMAT parquet)`);
      expect(await refused()).toMatch(/'sales\/part-2\.parquet' .* has column 'hour' as TIMESTAMP \(timestamp field 'hour', declared timestamp\), but DuckDB reads a glob with its first file's column types \('sales\/part-1\.parquet': DATE\)/);
      await part(1, '1::INTEGER AS qty, 0 AS unused');
      await part(3, '0 AS other');
      expect(await refused()).toMatch(/'sales\/part-3\.parquet' .* has no column 'qty' \(feature 'qty', declared int64\), which the glob's first file 'sales\/part-1\.parquet' has/);
      // An event time as text in a later file would lose its offset in the first file's TIMESTAMP.
      await conn.run(`COPY (SELECT 'SEA' AS "ORIGIN", '2001-01-01 10:00:00+02:00' AS hour, 3::INTEGER AS qty) TO ${literal(join(dir, 'part-3.parquet'))} (FORMAT parquet)`);
      expect(await refused()).toMatch(/has column 'hour' as VARCHAR \(timestamp field 'hour', declared timestamp\), but DuckDB reads a glob with its first file's column types \('sales\/part-1\.parquet': TIMESTAMP\)/);
    } finally {
      conn.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads exactly the files DuckDB globs, each checked with its links resolved when it is read', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'fg-outside-'));
    const g = join(root, 'g');
    const csv = 'ORIGIN,hour,DEPS,share_delayed,busy,embedding\n';
    const line = (o: string) => `${o},2001-01-01T10:00:00Z,3,0.25,true,[1.0]\n`;
    const read = (path: string) => rows(sourceRelationSql(roots(), defineSource({ name: 'g', path, timestamp_field: 'hour', field_mapping: mapping }), spec));
    const refused = (path: string) => read(path).then(() => 'read', (e: unknown) => (e instanceof DefinitionError ? e.message : `other: ${String(e)}`));
    try {
      mkdirSync(join(g, '2024-01'), { recursive: true });
      writeFileSync(join(g, '2024-01', 'a.csv'), csv + line('AAA'));
      writeFileSync(join(outside, 'secret.csv'), csv + line('SECRET'));
      expect((await read(`g/2024-*/*.csv`)).map((r) => r.origin)).toEqual(['AAA']);
      // A link into the matched folder from outside every root, also when the folder is first reached by an alias.
      symlinkSync(join(outside, 'secret.csv'), join(g, '2024-01', 's.csv'));
      symlinkSync(join(g, '2024-01'), join(g, '0'));
      expect(await refused('g/2024-*/*.csv')).toMatch(/2024-01\/s\.csv' \(matched by 'g\/2024-\*\/\*\.csv'\) resolves \(through a symbolic link\) to a place outside the project root/);
      rmSync(join(g, '2024-01', 's.csv'));
      // The glob's fixed folder itself a link out.
      symlinkSync(outside, join(g, 'fixed'));
      expect(await refused('g/fixed/*.csv')).toMatch(/secret\.csv' \(matched by 'g\/fixed\/\*\.csv'\) resolves/);
      // Braces are no wildcard to DuckDB: a literal file name, checked like any.
      symlinkSync(join(outside, 'secret.csv'), join(g, '2024-01', '{x}.csv'));
      expect(await refused('g/2024-01/{x}.csv')).toMatch(/resolves \(through a symbolic link\) to a place outside/);
      rmSync(join(g, '2024-01', '{x}.csv'));
      // A link out that DuckDB's glob does not read (another name, a folder ** does not follow) is no reason to refuse.
      expect((await read('g/2024-*/*.csv')).map((r) => r.origin)).toEqual(['AAA']);
      // A listed name that DuckDB would expand again as a pattern (no escaping exists) is refused.
      writeFileSync(join(g, '2024-01', 'b[1].csv'), csv + line('BRACKET'));
      expect(await refused('g/2024-*/*.csv')).toMatch(/b\[1\]\.csv' \(matched by 'g\/2024-\*\/\*\.csv'\) has \*, \? or \[ in its name/);
      rmSync(join(g, '2024-01', 'b[1].csv'));
      // No file matches: DuckDB's own message, not the pattern handed back to it.
      expect(await refused('g/nothing-*/*.csv')).toMatch(/other: Error: IO Error: No files found that match the pattern/);
      // A file planted after the check is not read: the checked list is.
      const late = defineSource({ name: 'g', path: 'g/2024-01/*.csv', timestamp_field: 'hour', field_mapping: mapping });
      const rel = sourceRelationSql(roots(), late, spec);
      const conn = await (await openOfflineEngine()).connect();
      const other = await (await openOfflineEngine()).connect();
      const fingerprinted = async (c: typeof conn) => ((await fingerprintSource(c, root, late, rel.select)).fingerprint as { files: { path: string }[] }).files.map((f) => f.path);
      try {
        await runSetup(conn, rel.setup);
        writeFileSync(join(g, '2024-01', 'late.csv'), csv + line('LATE'));
        expect((await conn.runAndReadAll(`SELECT origin FROM (${rel.select}) ORDER BY 1`)).getRowsJS()).toEqual([['AAA']]);
        // Lineage and manifests fingerprint the files that were read there, not the glob listed again.
        expect(await fingerprinted(conn)).toEqual(['g/2024-01/a.csv']);
        expect(await fingerprinted(other)).toEqual(['g/2024-01/a.csv', 'g/2024-01/late.csv']);
      } finally {
        conn.closeSync();
        other.closeSync();
      }
    } finally {
      rmSync(g, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
