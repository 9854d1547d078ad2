import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, openOfflineEngine } from '../offline/engine.js';
import { defineEntity, defineFeatureView, defineSource } from './define.js';
import { checkSources } from './source-check.js';
import { isCompatibleType } from './type-compat.js';
import { widensInto } from '../offline/glob-schema.js';
import { runSetup, sourceRelationSql } from '../offline/source-sql.js';

let root: string;
let outside: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fg-source-check-'));
  outside = mkdtempSync(join(tmpdir(), 'fg-outside-'));
  mkdirSync(join(root, 'data/parts'), { recursive: true });
  const engine = await openOfflineEngine();
  for (const part of [1, 2]) {
    await engine.run(`COPY (SELECT 'SEA' AS "Origin", TIMESTAMPTZ '2001-01-0${part} 10:00:00+00' AS hour, ${part}::SMALLINT AS deps, 1.5::DECIMAL(6,2) AS delay,
      [0.5, 1.5]::FLOAT[2] AS emb, 'a'::ENUM('a', 'b') AS carrier) TO ${literal(join(root, `data/parts/p${part}.parquet`))} (FORMAT parquet)`);
  }
  writeFileSync(join(root, 'data/a.csv'), 'Origin,hour,deps\nSEA,2001-01-01 10:00:00,3\n');
  writeFileSync(join(outside, 'secret.csv'), 'Origin,hour,deps\nSEA,2001-01-01 10:00:00,3\n');
  symlinkSync(join(outside, 'secret.csv'), join(root, 'data/link.csv'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const airport = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] });
const mapping = { Origin: 'origin', deps: 'departures' };

describe('checkSources', () => {
  it('accepts a glob of parquet files with coercible column types and field_mapping', async () => {
    const src = defineSource({ name: 's', path: 'data/parts/*.parquet', timestamp_field: 'hour', field_mapping: mapping });
    const view = defineFeatureView({
      name: 'v', entities: ['airport'], source: 's',
      features: [
        { name: 'departures', type: 'int32' }, { name: 'delay', type: 'float32' }, { name: 'emb', type: 'float32[]' }, { name: 'carrier', type: 'string' },
      ],
    });
    expect(await checkSources(root, [airport, src, view])).toEqual([]);
  });

  it('reports incompatible types and missing columns with their paths', async () => {
    const src = defineSource({ name: 's', path: 'data/parts/*.parquet', timestamp_field: 'deps', field_mapping: mapping });
    const view = defineFeatureView({
      name: 'v', entities: ['airport'], source: 's',
      features: [{ name: 'departures', type: 'bool' }, { name: 'carrier', type: 'int64' }, { name: 'nope', type: 'string' }],
    });
    const problems = await checkSources(root, [airport, src, view]);
    expect(problems.map((p) => [p.object, p.path])).toEqual([
      ['source s', '/timestamp_field'],
      ['feature_view v', '/features/0'],
      ['feature_view v', '/features/1'],
      ['feature_view v', '/features/2'],
    ]);
    expect(problems[1].message).toContain("column 'deps' via field_mapping");
    expect(problems[1].message).toContain('SMALLINT');
  });

  it('checks CSV columns by name only (they are cast on read)', async () => {
    const src = defineSource({ name: 'c', path: 'data/a.csv', timestamp_field: 'hour', field_mapping: mapping });
    const view = defineFeatureView({ name: 'v', entities: ['airport'], source: 'c', features: [{ name: 'departures', type: 'int64' }, { name: 'late', type: 'bool' }] });
    const problems = await checkSources(root, [airport, src, view]);
    expect(problems.map((p) => p.path)).toEqual(['/features/1']);
  });

  it('accepts an ISO 8601 text timestamp field in a Parquet file, a DuckDB table and a query (read through TIMESTAMPTZ), and names text that is none', async () => {
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT 'SEA' AS "Origin", '2026-12-02T14:06:00+01:00' AS ts, 3 AS deps) TO ${literal(join(root, 'data/text-ts.parquet'))} (FORMAT parquet)`);
    await engine.run(`COPY (SELECT 'SEA' AS "Origin", 'yesterday' AS ts, 3 AS deps) TO ${literal(join(root, 'data/bad-ts.parquet'))} (FORMAT parquet)`);
    await engine.run(`ATTACH ${literal(join(root, 'data/text-ts.duckdb'))} AS text_ts_db`);
    await engine.run(`CREATE TABLE text_ts_db.t AS SELECT * FROM read_parquet(${literal(join(root, 'data/text-ts.parquet'))})`);
    await engine.run('DETACH text_ts_db');
    const view = (source: string) => defineFeatureView({ name: `v_${source}`, entities: ['airport'], source, features: [{ name: 'departures', type: 'int64' }] });
    const sources = [
      defineSource({ name: 'p', path: 'data/text-ts.parquet', timestamp_field: 'ts', created_timestamp_field: 'ts', field_mapping: mapping }),
      defineSource({ name: 'd', database: 'data/text-ts.duckdb', table: 't', timestamp_field: 'ts', field_mapping: mapping }),
      defineSource({ name: 'q', query: "SELECT * FROM 'data/text-ts.parquet'", timestamp_field: 'ts', field_mapping: mapping }),
    ];
    for (const src of sources) expect(await checkSources(root, [airport, src, view(src.name)]), src.name).toEqual([]);
    const bad = defineSource({ name: 'b', path: 'data/bad-ts.parquet', timestamp_field: 'ts', field_mapping: mapping });
    const problems = await checkSources(root, [airport, bad, view('b')]);
    expect(problems.map((p) => p.path)).toEqual(['/timestamp_field']);
    expect(problems[0].message).toMatch(/column 'ts' of source 'b' is text, and 'yesterday' is no ISO 8601 timestamp/);
  });

  it('refuses at validate the text timestamps every run refuses: an offset that is none (+24:00, +99, +09:60), in Parquet and CSV', async () => {
    const engine = await openOfflineEngine();
    const view = (source: string) => defineFeatureView({ name: `v_${source}`, entities: ['airport'], source, features: [{ name: 'departures', type: 'int64' }] });
    const texts = ['2026-11-01T10:00:00Z', '2026-11-01 10:00:00+02:00', '2026-11-01', '2026-11-01T10:00:00-23:59', '2026-11-01T10:00:00+24:00', '2026-11-01T10:00:00+99', '2026-11-01T10:00:00+09:60'];
    for (const [i, text] of texts.entries()) {
      await engine.run(`COPY (SELECT 'SEA' AS "Origin", ${literal(text)} AS ts, 3 AS deps) TO ${literal(join(root, `data/off-${i}.parquet`))} (FORMAT parquet)`);
      writeFileSync(join(root, `data/off-${i}.csv`), `Origin,ts,deps\nSEA,${text},3\n`);
      for (const ext of ['parquet', 'csv']) {
        const src = defineSource({ name: `o${i}${ext[0]}`, path: `data/off-${i}.${ext}`, timestamp_field: 'ts', field_mapping: mapping });
        const rel = sourceRelationSql({ root, dataRoots: [] }, src, { joinKeys: airport.join_keys, features: [{ name: 'departures', type: 'int64' }] });
        const conn = await engine.connect();
        const run = await runSetup(conn, rel.setup).then(() => conn.runAndReadAll(rel.select)).then(() => 'read', (e: unknown) => String(e));
        conn.closeSync();
        const problems = await checkSources(root, [airport, src, view(src.name)]);
        if (run === 'read') {
          expect(problems, `${text} (${ext})`).toEqual([]);
        } else {
          expect(run, `${text} (${ext})`).toMatch(/has no valid UTC offset/);
          expect(problems.map((p) => [p.path, p.message]), `${text} (${ext})`).toEqual([['/timestamp_field',
            `timestamp field 'ts': column 'ts' of source '${src.name}' is text, and '${text}' has no valid UTC offset (hours 00-23, minutes and seconds 00-59; first 1000 rows read)`]]);
        }
      }
    }
  });

  it('says how to convert an epoch event time (an integer column, or CSV text of digits) in a query source', async () => {
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT 'SEA' AS "Origin", 1796224175::BIGINT AS ts, 3 AS deps) TO ${literal(join(root, 'data/epoch.parquet'))} (FORMAT parquet)`);
    writeFileSync(join(root, 'data/epoch.csv'), 'Origin,ts,deps\nSEA,1796224175000,3\n');
    const view = (source: string) => defineFeatureView({ name: `v_${source}`, entities: ['airport'], source, features: [{ name: 'departures', type: 'int64' }] });
    const pq = defineSource({ name: 'ep', path: 'data/epoch.parquet', timestamp_field: 'ts', field_mapping: mapping });
    const [p1] = await checkSources(root, [airport, pq, view('ep')]);
    expect(p1.path).toBe('/timestamp_field');
    expect(p1.message).toContain("is BIGINT");
    expect(p1.message).toContain("looks like epoch seconds or milliseconds: convert it in a query source, query: SELECT *, to_timestamp(ts) AS ts_utc FROM read_parquet('data/epoch.parquet') with timestamp_field: ts_utc (milliseconds: epoch_ms(ts))");
    const csv = defineSource({ name: 'ec', path: 'data/epoch.csv', timestamp_field: 'ts', field_mapping: mapping });
    const [p2] = await checkSources(root, [airport, csv, view('ec')]);
    expect(p2.message).toContain("'1796224175000' is no ISO 8601 timestamp");
    expect(p2.message).toContain("to_timestamp(ts::BIGINT) AS ts_utc FROM read_csv('data/epoch.csv')");
  });

  it('suggests field_mapping for a column that differs only in letter case or spacing (a name like Qty is no valid feature name)', async () => {
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT 'A' AS "SKU", TIMESTAMP '2026-01-01 00:00:00' AS "Event Time", 2 AS "Qty") TO ${literal(join(root, 'data/mixed.parquet'))} (FORMAT parquet)`);
    const sku = defineEntity({ name: 'sku', join_keys: [{ name: 'sku', type: 'string' }] });
    const src = defineSource({ name: 'm', path: 'data/mixed.parquet', timestamp_field: 'event_time' });
    const view = defineFeatureView({ name: 'v', entities: ['sku'], source: 'm', features: [{ name: 'qty', type: 'int64' }] });
    const problems = await checkSources(root, [sku, src, view]);
    expect(problems.map((p) => p.message)).toEqual([
      "timestamp field 'event_time' is not a column of source 'm': column 'Event Time' differs only in letter case and spacing; map it: field_mapping: {\"Event Time\": event_time}",
      "join key 'sku' of entity 'sku' is not a column of source 'm': column 'SKU' differs only in letter case; map it: field_mapping: {SKU: sku}",
      "feature 'qty' is not a column of source 'm': column 'Qty' differs only in letter case; map it: field_mapping: {Qty: qty}",
    ]);
  });

  it('checks every file of a Parquet glob against the columns read: a later file of another type, or lacking a column, is named', async () => {
    const engine = await openOfflineEngine();
    mkdirSync(join(root, 'data/sales'));
    const part = (n: number, cols: string) => engine.run(`COPY (SELECT 'SEA' AS "Origin", TIMESTAMP '2001-01-01 10:00:00' AS hour, ${cols}) TO ${literal(join(root, `data/sales/part-${n}.parquet`))} (FORMAT parquet)`);
    await part(1, '1::INTEGER AS deps');
    await part(2, '2.5::DOUBLE AS deps');
    await part(3, '0 AS other');
    const src = defineSource({ name: 'g', path: 'data/sales/part-*.parquet', timestamp_field: 'hour', field_mapping: mapping });
    const view = defineFeatureView({ name: 'v', entities: ['airport'], source: 'g', features: [{ name: 'departures', type: 'int64' }] });
    const problems = await checkSources(root, [airport, src, view]);
    expect(problems.map((p) => [p.object, p.path])).toEqual([['source g', '/path'], ['source g', '/path']]);
    expect(problems[0].message).toMatch(/^'data\/sales\/part-2\.parquet' \(matched by 'data\/sales\/part-\*\.parquet'\) has column 'deps' as DOUBLE \(feature 'departures', declared int64, which accepts/);
    expect(problems[1].message).toMatch(/^'data\/sales\/part-3\.parquet' .* has no column 'deps' \(feature 'departures', declared int64\)/);
  });

  it('refuses a symbolic link leading out of the project root', async () => {
    const src = defineSource({ name: 'l', path: 'data/link.csv', timestamp_field: 'hour' });
    const problems = await checkSources(root, [src]);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/outside the project root/);
  });
});

describe('widensInto', () => {
  it('accepts only casts that keep every value of a later glob file in the first file\'s type', () => {
    const yes = [['SMALLINT', 'INTEGER'], ['UTINYINT', 'SMALLINT'], ['INTEGER', 'DOUBLE'], ['SMALLINT', 'FLOAT'], ['FLOAT', 'DOUBLE'], ['DECIMAL(6,2)', 'DECIMAL(10,4)'], ['INTEGER', 'DECIMAL(12,2)'],
      ['DATE', 'TIMESTAMP'], ['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE'], ['TIMESTAMP_MS', 'TIMESTAMP_NS'], ['FLOAT[]', 'DOUBLE[]'], ['VARCHAR', 'VARCHAR'],
      // Checked narrowing (a value out of range fails the read) and ns into the µs every timestamp is read in.
      ['BIGINT', 'INTEGER'], ['INTEGER', 'UINTEGER'], ['UINTEGER', 'INTEGER'], ['HUGEINT', 'TINYINT'], ['BIGINT[]', 'INTEGER[]'],
      ['TIMESTAMP_NS', 'TIMESTAMP'], ['TIMESTAMP_NS', 'TIMESTAMP WITH TIME ZONE']];
    const no = [['DOUBLE', 'INTEGER'], ['DECIMAL(4,1)', 'INTEGER'], ['INTEGER', 'FLOAT'], ['DOUBLE', 'FLOAT'], ['DECIMAL(10,4)', 'DECIMAL(6,2)'],
      ['VARCHAR', 'TIMESTAMP'], ['TIMESTAMP', 'VARCHAR'], ['TIMESTAMP_NS', 'TIMESTAMP_MS'], ['TIMESTAMP', 'TIMESTAMP_S'], ['TIMESTAMP', 'DATE'], ['TIMESTAMP_NS', 'DATE'],
      ['DOUBLE[]', 'FLOAT[]'], ['INTEGER', 'INTEGER[]']];
    for (const [f, t] of yes) expect(widensInto(f, t), `${f} -> ${t}`).toBe(true);
    for (const [f, t] of no) expect(widensInto(f, t), `${f} -> ${t}`).toBe(false);
  });
});

describe('isCompatibleType', () => {
  it('follows the documented coercions', () => {
    const yes: [Parameters<typeof isCompatibleType>[0], string][] = [
      ['int64', 'INTEGER'], ['int64', 'UINTEGER'], ['int32', 'SMALLINT'], ['float64', 'BIGINT'], ['float32', 'DOUBLE'], ['float64', 'DECIMAL(10,2)'],
      ['timestamp', 'TIMESTAMP WITH TIME ZONE'], ['timestamp', 'DATE'], ['timestamp', 'TIMESTAMP_NS'], ['string', "ENUM('a', 'b')"],
      ['float32[]', 'FLOAT[768]'], ['float64[]', 'DOUBLE[]'], ['bool', 'BOOLEAN'],
    ];
    const no: [Parameters<typeof isCompatibleType>[0], string][] = [
      ['int32', 'BIGINT'], ['int64', 'UBIGINT'], ['int64', 'DOUBLE'], ['string', 'INTEGER'], ['bool', 'INTEGER'], ['timestamp', 'VARCHAR'], ['float64[]', 'VARCHAR[]'], ['float64', 'VARCHAR'],
    ];
    for (const [t, c] of yes) expect(isCompatibleType(t, c), `${t} <- ${c}`).toBe(true);
    for (const [t, c] of no) expect(isCompatibleType(t, c), `${t} <- ${c}`).toBe(false);
  });
});
