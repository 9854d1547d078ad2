/**
 * Entity columns passed through to the dataset keep their type and their values exactly, whichever input gave
 * them: an Arrow table keeps its widths, signedness and units as a Parquet file of the same columns does, and an
 * Arrow output holds what the Parquet and JSON outputs hold. (A review's findings.)
 */
import {
  DateDay, Float32, Int16, Int32, Int64, Int8, Table, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond,
  Uint16, Uint32, Uint64, Uint8, tableFromIPC, vectorFromArray,
} from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { literal } from '../../src/offline/engine.js';
import { useTinyProject } from './tiny-project.js';

const t = useTinyProject();
const features = ['user_stats:txn_count'];
const AT = Date.parse('2024-01-01T03:00:00Z');

/** Each column's Arrow type and values (as text) in a result table. */
function described(table: Table | null): Record<string, [string, string[]]> {
  return Object.fromEntries(table!.schema.fields.map((f) => [f.name, [String(f.type), [...table!.getChild(f.name)!].map((v) => String(v))]]));
}

describe('Arrow entity columns passed through', () => {
  const arrowEntities = () => new Table({
    user_id: vectorFromArray([1n, 2n], new Int64()),
    event_timestamp: vectorFromArray([AT, AT], new TimestampMillisecond()),
    i8: vectorFromArray([-7, null], new Int8()),
    i16: vectorFromArray([-300, 2], new Int16()),
    i32: vectorFromArray([70000, 2], new Int32()),
    u8: vectorFromArray([255, 0], new Uint8()),
    u16: vectorFromArray([65535, 0], new Uint16()),
    u32: vectorFromArray([4294967295, 0], new Uint32()),
    // A uint64 hash above 2^63 − 1 crashed the build with DuckDB's 'bigint out of int64 range', recorded as a failed run.
    u64: vectorFromArray([18446744073709551615n, 1n], new Uint64()),
    f32: vectorFromArray([0.5, 2], new Float32()),
    ts_s: vectorFromArray([AT + 1000, AT], new TimestampSecond()),
    ts_ms: vectorFromArray([AT + 1, AT], new TimestampMillisecond()),
    ts_us: vectorFromArray([AT + 2, AT], new TimestampMicrosecond()),
    ts_ns: vectorFromArray([AT + 3, AT], new TimestampNanosecond()),
    day: vectorFromArray([AT, AT], new DateDay()),
  });

  it('keep their width, sign and unit (Int32 came back Int64, Float32 Float64, Timestamp(ms) Timestamp(µs), a Uint64 crashed)', async () => {
    const res = await t.build({ entities: arrowEntities(), features });
    expect(res.status).toBe('success');
    const got = described(res.table);
    expect(Object.fromEntries(Object.entries(got).map(([k, [type]]) => [k, type]))).toEqual({
      user_id: 'Int64', event_timestamp: 'Timestamp<MICROSECOND>', i8: 'Int8', i16: 'Int16', i32: 'Int32', u8: 'Uint8', u16: 'Uint16', u32: 'Uint32',
      u64: 'Uint64', f32: 'Float32', ts_s: 'Timestamp<SECOND>', ts_ms: 'Timestamp<MILLISECOND>', ts_us: 'Timestamp<MICROSECOND>',
      ts_ns: 'Timestamp<NANOSECOND>', day: 'Date32<DAY>', txn_count: 'Int64',
    });
    expect(got.u64[1]).toEqual(['18446744073709551615', '1']);
    expect([got.i8[1], got.i16[1], got.i32[1], got.u32[1], got.f32[1]]).toEqual([['-7', 'null'], ['-300', '2'], ['70000', '2'], ['4294967295', '0'], ['0.5', '2']]);
    expect([got.ts_s[1][0], got.ts_ms[1][0], got.ts_ns[1][0], got.day[1][0]]).toEqual([String(AT + 1000), String(AT + 1), String(AT + 3), String(Date.parse('2024-01-01'))]);
    // An Int32 is a JavaScript number again, as apache-arrow gives it (it was a bigint: qty * 2.5 threw).
    expect(res.table!.get(0)!.i32 * 2).toBe(140000);
  });

  it('come out as the same columns of a Parquet entity file do (timestamps keep their unit, which DuckDB reads from Parquet as µs)', async () => {
    const arrow = await t.build({ entities: arrowEntities(), features });
    const file = join(t.dir, 'data', 'typed-entities.parquet');
    const engine = await (await import('../../src/offline/engine.js')).openOfflineEngine();
    await engine.run(`COPY (SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 03:00:00' AS event_timestamp, -7::TINYINT AS i8, -300::SMALLINT AS i16,
      70000::INTEGER AS i32, 255::UTINYINT AS u8, 65535::USMALLINT AS u16, 4294967295::UINTEGER AS u32, 18446744073709551615::UBIGINT AS u64,
      0.5::FLOAT AS f32, '2024-01-01 03:00:01'::TIMESTAMP_S AS ts_s, '2024-01-01 03:00:00.001'::TIMESTAMP_MS AS ts_ms,
      TIMESTAMP '2024-01-01 03:00:00.002' AS ts_us, '2024-01-01 03:00:00.003'::TIMESTAMP_NS AS ts_ns, DATE '2024-01-01' AS day) TO ${literal(file)} (FORMAT parquet)`);
    const parquet = await t.build({ entities: file, features });
    const types = (table: Table | null) => table!.schema.fields.map((f) => `${f.name} ${String(f.type)}`);
    const units = ['ts_s Timestamp<SECOND>', 'ts_ms Timestamp<MILLISECOND>'];
    expect(types(arrow.table)).toEqual(types(parquet.table).map((c) => (c.startsWith('ts_s ') ? units[0] : c.startsWith('ts_ms ') ? units[1] : c)));
    expect(described(arrow.table).u64[1][0]).toBe(described(parquet.table).u64[1][0]);
  });

  it('plain row objects give whole numbers as BIGINT (Int64, bigints in the table) and fractions as DOUBLE, whatever their size', async () => {
    const res = await t.build({ entities: [{ user_id: 1, event_timestamp: new Date(AT), qty: 3, w: 0.5 }], features });
    expect(described(res.table).qty).toEqual(['Int64', ['3']]);
    expect(described(res.table).w).toEqual(['Float64', ['0.5']]);
  });

  it('an Arrow output reads back with the same types as the table returned', async () => {
    const out = join(t.dir, 'typed.arrow');
    await t.build({ entities: arrowEntities(), features, out });
    const back = tableFromIPC(readFileSync(out));
    const inMemory = await t.build({ entities: arrowEntities(), features });
    expect(described(back)).toEqual(described(inMemory.table));
  });
});

describe('DECIMAL entity columns passed through', () => {
  it('stay exact in every output: Decimal128 in Arrow (a DECIMAL(38,0) id was a Float64, two ids became one)', async () => {
    const file = join(t.dir, 'data', 'decimal-entities.parquet');
    const engine = await (await import('../../src/offline/engine.js')).openOfflineEngine();
    await engine.run(`COPY (SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 03:00:00' AS event_timestamp, 12345678901234567891::DECIMAL(38,0) AS order_id, 1.25::DECIMAL(5,2) AS fee
      UNION ALL SELECT 1, TIMESTAMP '2024-01-01 03:00:00', 12345678901234567892::DECIMAL(38,0), NULL) TO ${literal(file)} (FORMAT parquet)`);
    const res = await t.build({ entities: file, features });
    const expected = { order_id: ['Decimal[38e0]', ['12345678901234567891', '12345678901234567892']], fee: ['Decimal[5e+2]', ['125', 'null']] };
    expect(described(res.table)).toMatchObject(expected);
    const out = join(t.dir, 'decimal.arrow');
    await t.build({ entities: file, features, out });
    expect(described(tableFromIPC(readFileSync(out)))).toMatchObject(expected);
    expect(JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')).columns).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'order_id', type: 'DECIMAL(38,0)' })]));
    // The Arrow table given back as entity rows keeps them too.
    const again = await t.build({ entities: res.table!.select(['user_id', 'event_timestamp', 'order_id', 'fee']), features });
    expect(described(again.table)).toMatchObject(expected);
  });
});

describe('list entity columns passed through', () => {
  it('a list of DECIMAL or of timestamps builds (the profile cast DECIMAL(10,2)[] to DOUBLE and failed every build)', async () => {
    const sql = `SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 03:00:00' AS event_timestamp, [1.10::DECIMAL(10,2), 2.5] AS prices,
      [1.5::DECIMAL(5,1)]::DECIMAL(5,1)[1] AS fixed, [TIMESTAMP '2024-01-01', NULL] AS seen, [TIMESTAMPTZ '2024-01-01 00:00:00+00'] AS seen_tz`;
    const res = await t.build({ entities: { kind: 'sql', sql }, features });
    expect(res.status).toBe('success');
    expect(res.manifest.columns.map((c) => c.type)).toEqual(['BIGINT', 'TIMESTAMP', 'DECIMAL(10,2)[]', 'DECIMAL(5,1)[1]', 'TIMESTAMP[]', 'TIMESTAMP WITH TIME ZONE[]', 'BIGINT']);
  });
});

describe('entity inputs without rows', () => {
  it('an empty array builds an empty dataset, as an empty Arrow table or SQL result does (it was refused as having no column)', async () => {
    const empty = await t.build({ entities: [], features: ['user_stats:txn_count', 'merchant_stats:risk'] });
    const sql = await t.build({ entities: { kind: 'sql', sql: "SELECT 1::BIGINT AS user_id, 'acme' AS merchant, TIMESTAMP '2024-01-01' AS event_timestamp WHERE false" }, features: ['user_stats:txn_count', 'merchant_stats:risk'] });
    // Both as the guards see an empty dataset (a warning that it has no rows, not a refusal).
    expect([empty.status, empty.table!.numRows, empty.manifest.entities.rows]).toEqual([sql.status, 0, 0]);
    expect(empty.run.message).toBe(sql.run.message);
    // The volume check names what is empty: a dataset without entity rows, not a "window".
    const volume = empty.checks.results.find((r) => r.check === 'anomaly' && r.method === 'volume');
    expect(volume?.message).toBe('the dataset has 0 rows (the entity input has none)');
    const types = (table: Table | null) => table!.schema.fields.map((f) => `${f.name} ${String(f.type)}`);
    expect(types(empty.table)).toEqual(['event_timestamp Timestamp<MICROSECOND>', 'user_id Int64', 'merchant Utf8', 'txn_count Int64', 'risk Float64']);
    expect(types(sql.table)).toEqual(['user_id Int64', 'merchant Utf8', 'event_timestamp Timestamp<MICROSECOND>', 'txn_count Int64', 'risk Float64']);
  });

  it('rows or an Arrow table without any column say so', async () => {
    expect(await t.failure({ entities: [{}, {}], features })).toMatchObject({
      code: 'empty_entities', message: 'the entity rows have no columns (each row is an empty object): give the timestamp column and the join keys',
    });
    expect(await t.failure({ entities: new Table(), features })).toMatchObject({ code: 'empty_entities', message: expect.stringMatching(/^the entity Arrow table has no columns/) });
  });
});

describe('a missing entity file', () => {
  it('says where it was looked for: a relative path is resolved against the working directory, not the project', async () => {
    const e = await t.failure({ entities: 'data/nope.parquet', features });
    expect(e).toMatchObject({ code: 'missing_entity_file', message: `entity file 'data/nope.parquet' does not exist (looked for ${join(t.dir, 'data', 'nope.parquet')})` });
  });
});
