/**
 * Named edge cases of dataset builds on a tiny project whose answers are
 * worked out by hand (see tiny-project.ts for the rows), the errors a user can
 * cause, every output format read back, the manifest and the split.
 */
import { Float64, Int64, Table, TimestampMicrosecond, Utf8, tableFromIPC, vectorFromArray } from 'apache-arrow';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureguardError } from '../../src/errors.js';
import { literal, openOfflineEngine } from '../../src/offline/engine.js';
import { getHistoricalFeatures, type HistoricalFeaturesRequest } from '../../src/offline/historical.js';
import { readManifest } from '../../src/offline/manifest.js';
import type { Project } from '../../src/project.js';
import { buildFailure, makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;
beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
});
afterAll(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const at = (t: string) => `2024-01-01T${t}Z`;
/** Rows of an Arrow table as plain objects (int64 as number, timestamps dropped). */
function plain(table: Table | null, drop = ['event_timestamp']): Record<string, unknown>[] {
  return table!.toArray().map((r) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.toJSON() as Record<string, unknown>)) if (!drop.includes(k)) o[k] = typeof v === 'bigint' ? Number(v) : v;
    return o;
  });
}
const build = (req: Omit<HistoricalFeaturesRequest, 'baseDir'>) => getHistoricalFeatures(project, { baseDir: dir, ...req });
const failure = (req: Omit<HistoricalFeaturesRequest, 'baseDir'>) => buildFailure(project, dir, req);

const SERVICE_ROWS = [
  { txn_id: 100, user_id: 1, merchant: 'acme', event_timestamp: at('01:30:00'), note: 'r0' },
  { txn_id: 101, user_id: 1, merchant: 'bolt', event_timestamp: at('02:30:00'), note: 'r1' },
  { txn_id: 102, user_id: 1, merchant: 'acme', event_timestamp: at('00:59:59'), note: 'r2' },
  { txn_id: 101, user_id: 1, merchant: 'bolt', event_timestamp: at('02:30:00'), note: 'r1' },
  { txn_id: 100, user_id: 1, merchant: 'bolt', event_timestamp: at('04:00:00'), note: 'r4' },
  { txn_id: 100, user_id: 1, merchant: 'bolt', event_timestamp: at('04:00:00.000001'), note: 'r5' },
  { txn_id: 101, user_id: 2, merchant: 'acme', event_timestamp: at('05:00:00'), note: 'r6' },
  { txn_id: 101, user_id: 3, merchant: 'zed', event_timestamp: at('03:00:00'), note: 'r7' },
  { txn_id: 103, user_id: 1, merchant: 'acme', event_timestamp: at('03:00:00'), note: 'r8' },
];
const f = (txn_count: number | null, avg_amount: number | null, risk: number | null, fraud: boolean | null) => ({ txn_count, avg_amount, risk, fraud });
const SERVICE_EXPECTED = [
  f(10, 1.0, 0.2, true), // acme's '03:00:00+02:00' row is 01:00Z
  f(21, 2.1, 0.9, false), // equal event 02:00: the greater created (02:30) wins
  f(null, null, 0.1, null), // before any user row; no label row for txn 102
  f(21, 2.1, 0.9, false), // duplicate entity row: output twice, in place
  f(30, null, 0.9, true), // exactly ttl (1h) after 03:00: inside; the null value is the value
  f(null, null, 0.9, true), // one microsecond past the ttl: null, not an older row
  f(50, 5.0, 0.2, false), // event availability: the 05:00 row counts though created at 06:00
  f(null, null, null, false), // unknown user and merchant
  f(30, null, 0.2, null),
];

describe('dataset build edge cases', () => {
  it('joins a service with its label, as worked out by hand, in input order', async () => {
    const res = await build({ entities: SERVICE_ROWS, service: 'fraud_model' });
    expect(res.status).not.toBe('blocked');
    expect(res.table!.schema.fields.map((x) => x.name)).toEqual(['txn_id', 'user_id', 'merchant', 'event_timestamp', 'note', 'txn_count', 'avg_amount', 'risk', 'fraud']);
    const rows = plain(res.table);
    expect(rows.map((r) => r.note)).toEqual(SERVICE_ROWS.map((r) => r.note));
    expect(rows.map(({ txn_count, avg_amount, risk, fraud }) => ({ txn_count, avg_amount, risk, fraud }))).toEqual(SERVICE_EXPECTED);
    expect(res.manifest.label).toBe('fraud');
    // An in-memory dataset is named in its lineage (OpenLineage's output had an empty name).
    expect(project.runs.get(res.run.id).lineage?.output?.uri).toBe(`memory:dataset/${res.run.id}`);
  });

  it('takes an upper-case EVENT_TIMESTAMP column chosen as the timestamp column', async () => {
    const res = await build({ entities: [{ user_id: 1, EVENT_TIMESTAMP: at('01:00:00') }], features: ['user_stats:txn_count'], timestampColumn: 'EVENT_TIMESTAMP' });
    expect([res.table!.schema.fields.map((f) => f.name), plain(res.table)]).toEqual([['user_id', 'event_timestamp', 'txn_count'], [{ user_id: 1, txn_count: 10 }]]);
  });

  it('reads integer keys sent as digit strings, as JSON clients send ids beyond 2^53, exactly', async () => {
    const res = await build({ entities: [{ user_id: '1', event_timestamp: at('01:00:00') }, { user_id: '9007199254740993', event_timestamp: at('01:00:00') }], features: ['user_stats:txn_count'] });
    expect(res.table!.getChild('user_id')!.toArray()).toEqual(new BigInt64Array([1n, 9007199254740993n]));
    expect(plain(res.table)[0].txn_count).toBe(10);
  });

  it("takes a label the entity rows carry from them, without the label view's own join key", async () => {
    const rows = SERVICE_ROWS.map(({ txn_id: _, ...r }, i) => ({ ...r, fraud: i % 2 === 0 }));
    const res = await build({ entities: rows, service: 'fraud_model' });
    expect(res.table!.schema.fields.map((x) => x.name)).toEqual(['user_id', 'merchant', 'event_timestamp', 'note', 'fraud', 'txn_count', 'avg_amount', 'risk']);
    expect(plain(res.table).map((r) => [r.fraud, r.txn_count])).toEqual(SERVICE_EXPECTED.map((e, i) => [i % 2 === 0, e.txn_count]));
    // Without the label the key is needed, and its absence named.
    const e = await failure({ entities: SERVICE_ROWS.map(({ txn_id: _, ...r }) => r), service: 'fraud_model' });
    expect([e.code, e.message]).toEqual(['missing_join_key', expect.stringContaining("no column 'txn_id'")]);
  });

  it.each([
    ['02:00:00', 20, 'created 02:30 is not known yet at 02:00'],
    ['02:29:59.999999', 20, 'one microsecond before it is known'],
    ['02:30:00', 21, 'known exactly at its created time'],
  ])('availability created, user 1 at %s → %s (%s)', async (time, expected) => {
    const res = await build({ entities: [{ user_id: 1, event_timestamp: at(time) }], features: ['user_stats:txn_count'], availability: 'created' });
    expect(plain(res.table)).toEqual([{ user_id: 1, txn_count: expected }]);
  });

  it.each<[string, number | null, string]>([
    ['05:00:00', 45, 'the 05:00 row is created at 06:00: fall back to 04:30'],
    ['05:30:00', 45, 'the fallback is exactly at the ttl boundary'],
    ['05:30:00.000001', null, 'the best available row is outside the ttl'],
    ['06:00:00', 50, 'now the 05:00 row is known'],
  ])('availability created, user 2 at %s → %s (%s)', async (time, expected) => {
    const res = await build({ entities: [{ user_id: 2, event_timestamp: at(time) }], features: ['user_stats:txn_count'], availability: 'created' });
    expect(plain(res.table)).toEqual([{ user_id: 2, txn_count: expected }]);
  });

  it('renames --timestamp-column to event_timestamp and keeps microseconds', async () => {
    const res = await build({ entities: [{ user_id: 1, ts: at('04:00:00.000001') }], features: ['user_stats:txn_count'], timestampColumn: 'ts' });
    expect(res.table!.schema.fields.map((x) => x.name)).toEqual(['user_id', 'event_timestamp', 'txn_count']);
    const raw = res.table!.getChild('event_timestamp')!.data[0].values as BigInt64Array;
    expect(raw[0]).toBe(1_704_081_600_000_001n); // 2024-01-01T04:00:00.000001Z
  });

  it('takes entity rows as an Arrow table (microsecond timestamps kept)', async () => {
    const entities = new Table({
      user_id: vectorFromArray([1n, 1n], new Int64()),
      tag: vectorFromArray(['a', 'b'], new Utf8()),
      event_timestamp: vectorFromArray([0, 0], new TimestampMicrosecond()),
    });
    // Set the raw microsecond values: 04:00:00 exactly (inside the ttl) and one microsecond later (outside).
    const raw = entities.getChild('event_timestamp')!.data[0].values as BigInt64Array;
    raw[0] = 1_704_081_600_000_000n;
    raw[1] = 1_704_081_600_000_001n;
    const res = await build({ entities, features: ['user_stats:txn_count'] });
    expect(plain(res.table)).toEqual([{ user_id: 1, tag: 'a', txn_count: 30 }, { user_id: 1, tag: 'b', txn_count: null }]);
    // A slice of it, and a table whose batches are slices: the rows of the slice, not of the whole.
    expect(plain((await build({ entities: entities.slice(1), features: ['user_stats:txn_count'] })).table)).toEqual([{ user_id: 1, tag: 'b', txn_count: null }]);
    const mixed = entities.slice(1).concat(entities.slice(0, 1));
    expect(plain((await build({ entities: mixed, features: ['user_stats:txn_count'] })).table)).toEqual([{ user_id: 1, tag: 'b', txn_count: null }, { user_id: 1, tag: 'a', txn_count: 30 }]);
    // The Arrow types hold when no value says them: an all-null int64 key column, and no rows at all.
    const nullKeys = new Table({ user_id: vectorFromArray([null], new Int64()), event_timestamp: vectorFromArray([0], new TimestampMicrosecond()) });
    const nk = await build({ entities: nullKeys, features: ['user_stats:txn_count'] });
    // (its null key is blocked by the guards, as a null key is anywhere; the column is the int64 key all the same)
    expect([nk.status, nk.manifest.columns[0]]).toEqual(['blocked', { name: 'user_id', type: 'BIGINT' }]);
    expect((await build({ entities: entities.slice(0, 0), features: ['user_stats:txn_count'] })).table!.numRows).toBe(0);
    // apache-arrow stores plain JavaScript numbers as Float64: whole ones still make an int64 key.
    const floats = new Table({ user_id: vectorFromArray([1], new Float64()), event_timestamp: entities.getChild('event_timestamp')!.slice(0, 1) });
    expect(plain((await build({ entities: floats, features: ['user_stats:txn_count'] })).table)).toEqual([{ user_id: 1, txn_count: 30 }]);
  });

  it('zero entity rows give an empty dataset with the full schema', async () => {
    const res = await build({ entities: { kind: 'sql', sql: "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01' AS event_timestamp WHERE false" }, features: ['user_stats'], out: join(dir, 'empty', 'e.arrow') });
    expect(res.status).not.toBe('blocked');
    const t = tableFromIPC(readFileSync(join(dir, 'empty', 'e.arrow')));
    expect([t.numRows, t.schema.fields.map((x) => x.name)]).toEqual([0, ['user_id', 'event_timestamp', 'txn_count', 'avg_amount']]);
    expect(res.manifest.time_range).toBeNull();
  });

  it('full feature names resolve a collision', async () => {
    const res = await build({ entities: [{ user_id: 1, merchant: 'acme', event_timestamp: at('02:00:00') }], features: ['merchant_stats:risk', 'user_risk:risk'], fullFeatureNames: true });
    expect(plain(res.table)).toEqual([{ user_id: 1, merchant: 'acme', merchant_stats__risk: 0.2, user_risk__risk: 0.5 }]);
  });

  it.each<[string, Omit<HistoricalFeaturesRequest, 'baseDir'>, string, RegExp[]]>([
    ['missing timestamp column', { entities: [{ user_id: 1, when: at('01:00:00') }], features: ['user_stats'] }, 'missing_timestamp_column', [/event_timestamp/, /when/]],
    ['missing join key column', { entities: [{ uid: 1, event_timestamp: at('01:00:00') }], features: ['user_stats'] }, 'missing_join_key', [/user_id/, /entity 'user'/]],
    ['int key given as text that is no integer', { entities: [{ user_id: 'u1', event_timestamp: at('01:00:00') }], features: ['user_stats'] }, 'wrong_join_key_type', [/'user_id' holds 'u1' in row 0/, /no int64/]],
    ['int key as a number beyond 2^53', { entities: [{ user_id: 2 ** 53 + 2, event_timestamp: at('01:00:00') }], features: ['user_stats'] }, 'bad_entity_value', [/'user_id'/, /send such ids as strings/]],
    ['unknown feature', { entities: [{ user_id: 1, event_timestamp: at('01:00:00') }], features: ['user_stats:nope'] }, 'unknown_feature', [/nope/, /user_stats/]],
    ['unknown view', { entities: [{ user_id: 1, event_timestamp: at('01:00:00') }], features: ['nope:x'] }, 'unknown_feature', [/nope/]],
    ['misspelt feature', { entities: [{ user_id: 1, event_timestamp: at('01:00:00') }], features: ['user_stats:txn_cout'] }, 'unknown_feature', [/did you mean 'txn_count'/]],
    ['misspelt view', { entities: [{ user_id: 1, event_timestamp: at('01:00:00') }], features: ['user_stat:txn_count'] }, 'unknown_feature', [/did you mean 'user_stats'/]],
    ['name collision', { entities: [{ user_id: 1, merchant: 'a', event_timestamp: at('01:00:00') }], features: ['merchant_stats:risk', 'user_risk:risk'] }, 'feature_name_collision', [/merchant_stats/, /user_risk/, /full/]],
    ['feature named like an entity column', { entities: [{ user_id: 1, txn_count: 3, event_timestamp: at('01:00:00') }], features: ['user_stats'] }, 'feature_name_collision', [/txn_count/, /; rename that column or use full feature names \(CLI --full-feature-names, SDK fullFeatureNames, API full_feature_names\)$/]],
    // With full feature names on, only renaming helps (the message suggested full feature names all the same).
    ['feature named like an entity column with full feature names', { entities: [{ user_id: 1, user_stats__txn_count: 3, event_timestamp: at('01:00:00') }], features: ['user_stats'], fullFeatureNames: true }, 'feature_name_collision', [/'user_stats__txn_count'/, /; rename that column$/]],
    ['feature named like an entity column but for case', { entities: [{ user_id: 1, TXN_COUNT: 'x', event_timestamp: at('01:00:00') }], features: ['user_stats'] }, 'feature_name_collision', [/'TXN_COUNT'/, /ignore case/]],
    ['int key as text beyond int64', { entities: [{ user_id: '9223372036854775808', event_timestamp: at('01:00:00') }], features: ['user_stats'] }, 'bad_entity_value', [/'user_id'/, /outside the 64-bit integer range of its join key/]],
    ['timestamp column chosen beside EVENT_TIMESTAMP', { entities: [{ user_id: 1, ts: at('01:00:00'), EVENT_TIMESTAMP: 'x' }], features: ['user_stats'], timestampColumn: 'ts' }, 'column_collision', [/'EVENT_TIMESTAMP'/]],
    ['null timestamp', { entities: [{ user_id: 1, event_timestamp: null }, { user_id: 1, event_timestamp: at('01:00:00') }], features: ['user_stats'] }, 'null_timestamp', [/1 entity row/]],
    ['timestamp that is no timestamp', { entities: [{ user_id: 1, event_timestamp: 'yesterday' }], features: ['user_stats'] }, 'bad_entity_timestamp', [/'yesterday' in 'event_timestamp' at row 0 \(counting from 0\)/]],
    ['features and service', { entities: [{ user_id: 1, event_timestamp: at('01:00:00') }], features: ['user_stats'], service: 'fraud_model' }, 'bad_request', [/not both/]],
    ['missing entity file', { entities: 'nope.parquet', features: ['user_stats'] }, 'missing_entity_file', [/nope\.parquet/]],
  ])('error: %s', async (_name, req, code, patterns) => {
    const e = await failure(req);
    expect(e.code).toBe(code);
    expect(e.exitCode).toBe(2);
    for (const p of patterns) expect(e.message).toMatch(p);
  });

  it('writes NaN and Infinity as null in JSON, which has neither, and keeps them in Parquet', async () => {
    const entities = [1, 2, 3].map((i) => ({ user_id: 1, score: [Number.NaN, Number.POSITIVE_INFINITY, 1.5][i - 1], event_timestamp: at('01:00:00') }));
    const json = join(dir, 'out', 'nan.json');
    await build({ entities, features: ['user_stats:txn_count'], out: json, disableGuards: true });
    expect((JSON.parse(readFileSync(json, 'utf8')) as { score: unknown }[]).map((r) => r.score)).toEqual([null, null, 1.5]);
    // Lists of lists of floats, from an entity file, too.
    const engine0 = await openOfflineEngine();
    const nested = join(dir, 'nested-entities.parquet');
    await engine0.run(`COPY (SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 01:00:00' AS event_timestamp, [['nan'::DOUBLE, 2.5], ['inf'::DOUBLE]] AS grid, ['-inf'::FLOAT]::FLOAT[1] AS arr) TO ${literal(nested)} (FORMAT parquet)`);
    const nestedJson = join(dir, 'out', 'nested.json');
    await build({ entities: nested, features: ['user_stats:txn_count'], out: nestedJson, disableGuards: true });
    expect((JSON.parse(readFileSync(nestedJson, 'utf8')) as { grid: unknown; arr: unknown }[]).map((r) => [r.grid, r.arr])).toEqual([[[[null, 2.5], [null]], [null]]]);
    const parquet = join(dir, 'out', 'nan.parquet');
    await build({ entities, features: ['user_stats:txn_count'], out: parquet, disableGuards: true });
    const engine = await openOfflineEngine();
    expect((await engine.all(`SELECT score::VARCHAR AS s FROM ${literal(parquet)}`)).map((r) => r.s)).toEqual(['nan', 'inf', '1.5']);
  });

  it('writes parquet, arrow, csv and json with the same rows, and a manifest beside each', async () => {
    const memTable = (await build({ entities: SERVICE_ROWS, service: 'fraud_model' })).table!;
    // Raw microsecond values (Arrow's getters round timestamps to milliseconds).
    const micros = (t: Table) => t.getChild('event_timestamp')!.data.flatMap((d) => Array.from((d.values as BigInt64Array).subarray(d.offset, d.offset + d.length), String));
    const mem = plain(memTable).map((r, i) => ({ ...r, us: micros(memTable)[i] }));
    expect(mem[5].us).toBe('1704081600000001');
    const engine = await openOfflineEngine();
    for (const format of ['parquet', 'arrow', 'csv', 'json'] as const) {
      const out = join(dir, 'out', `ds.${format}`);
      const res = await build({ entities: SERVICE_ROWS, service: 'fraud_model', out });
      expect(res.outputs).toMatchObject([{ part: 'all', path: out, format, rows: 9 }]);
      let rows: Record<string, unknown>[];
      if (format === 'arrow') {
        const t = tableFromIPC(readFileSync(out));
        rows = plain(t).map((r, i) => ({ ...r, us: micros(t)[i] }));
      } else {
        const reader = format === 'parquet' ? 'read_parquet' : format === 'csv' ? 'read_csv' : 'read_json';
        const r = await engine.all(`SELECT * EXCLUDE (event_timestamp), epoch_us(event_timestamp::TIMESTAMP)::VARCHAR AS us FROM ${reader}('${out}')`);
        rows = r.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && !['note', 'merchant', 'us'].includes(k) ? Number(v) : v])));
      }
      expect(rows, format).toEqual(mem);
      const m = readManifest(`${out}.manifest.json`);
      expect(m.rows).toBe(9);
      expect(m.run_id).toBe(res.run.id);
      expect(m.request.service).toBe('fraud_model');
      expect(Object.keys(m.definitions)).toContain('feature_view/user_stats');
      expect(m.sources.map((s) => s.name).sort()).toEqual(['merchant_src', 'outcome_src', 'user_src']);
      expect(m.entities.fingerprint).toMatchObject({ rows: 9, ordered: true });
      expect(project.runs.get(res.run.id)).toMatchObject({ kind: 'dataset', service: 'fraud_model', rows_in: 9, rows_out: 9 });
    }
  });

  it('splits by time into train and test files', async () => {
    const out = join(dir, 'split', 'ds.parquet');
    const res = await build({ entities: SERVICE_ROWS, service: 'fraud_model', out, splitAt: at('02:30:00') });
    const train = join(dir, 'split', 'ds.train.parquet');
    const test = join(dir, 'split', 'ds.test.parquet');
    expect(res.outputs.map((o) => [o.part, o.path, o.rows])).toEqual([['train', train, 2], ['test', test, 7]]);
    expect(existsSync(out)).toBe(false);
    const engine = await openOfflineEngine();
    expect(await engine.all(`SELECT note FROM read_parquet('${train}')`)).toEqual([{ note: 'r0' }, { note: 'r2' }]);
    expect(readManifest(`${test}.manifest.json`).split_at).toBe('2024-01-01T02:30:00.000000Z');
  });

  it('splits at the microsecond: r4 at 04:00:00 trains, r5 one microsecond later tests', async () => {
    const res = await build({ entities: SERVICE_ROWS, service: 'fraud_model', splitAt: '2024-01-01T05:00:00.000001+01:00' });
    expect([plain(res.split!.train).map((r) => r.note), plain(res.split!.test).map((r) => r.note)]).toEqual([['r0', 'r1', 'r2', 'r1', 'r4', 'r7', 'r8'], ['r5', 'r6']]);
    expect(res.manifest.split_at).toBe('2024-01-01T04:00:00.000001Z');
  });

  it('reads splitAt strictly, and null or an empty text as no split', async () => {
    await expect(build({ entities: SERVICE_ROWS, service: 'fraud_model', splitAt: '2024-02-30' })).rejects.toThrow("invalid splitAt '2024-02-30': February 2024 has 29 days");
    for (const splitAt of [null, ''] as unknown as string[]) {
      const res = await build({ entities: SERVICE_ROWS, service: 'fraud_model', splitAt, testFraction: null as unknown as undefined });
      expect(res.split).toBeNull();
      expect(res.outputs.map((o) => o.part)).toEqual(['all']);
    }
  });

  it('refuses a splitAt past 9999 UTC before any work (DuckDB failed on +010000-… after the join, exit 3)', async () => {
    const runs = project.runs.list().total;
    for (const splitAt of ['9999-12-31T23:59:59.9999999Z', '9999-12-31T23:00:00-02:00']) {
      const e = await failure({ entities: SERVICE_ROWS, service: 'fraud_model', splitAt, out: join(dir, 'far', 'x.parquet') });
      expect([e.code, e.message]).toEqual(['bad_request', `invalid splitAt '${splitAt}': it lies after 9999-12-31T23:59:59.999999Z (UTC), the last instant a timestamp holds here`]);
    }
    expect(project.runs.list().total).toBe(runs);
    const res = await build({ entities: SERVICE_ROWS, service: 'fraud_model', splitAt: '9999-12-31T23:59:59.999999Z' });
    expect([res.split!.train.numRows, res.split!.test.numRows]).toEqual([9, 0]);
  });

  it('same inputs give the same rows in the same order', async () => {
    const a = await build({ entities: SERVICE_ROWS, service: 'fraud_model', fullFeatureNames: true });
    const b = await build({ entities: SERVICE_ROWS, service: 'fraud_model', fullFeatureNames: true });
    expect(plain(b.table, [])).toEqual(plain(a.table, []));
    expect(b.manifest.entities.fingerprint).toEqual(a.manifest.entities.fingerprint);
  });
});

describe('dataset build guards', () => {
  const req = (out: string, allowFailedChecks = false) => ({ entities: [{ user_id: 1, event_timestamp: at('01:00:00') }], features: ['user_profile:email'], out: join(dir, out), allowFailedChecks });

  it('a blocking check failure writes nothing and records a blocked run', async () => {
    const res = await build(req('blocked/ds.parquet'));
    expect(res.status).toBe('blocked');
    expect(res.outputs).toEqual([]);
    expect(existsSync(join(dir, 'blocked'))).toBe(false);
    expect(res.checks.results.some((r) => r.status === 'fail' && r.feature === 'email')).toBe(true);
    expect(project.runs.get(res.run.id)).toMatchObject({ status: 'blocked', rows_out: 0 });
    expect(res.run.message).toMatch(/email/);
  });

  it('allowFailedChecks writes the outputs and records the failures in the manifest', async () => {
    const res = await build(req('allowed/ds.parquet', true));
    expect(res.status).toBe('warned');
    const m = readManifest(join(dir, 'allowed/ds.parquet.manifest.json'));
    expect(m.checks).toMatchObject({ verdict: 'block', status: 'warned', allowed_failed_checks: true });
    expect(m.checks.results.some((r) => r.status === 'fail')).toBe(true);
  });

  it('profiles the dataset\'s columns, not featureguard\'s hidden ordinal and timestamp columns', async () => {
    const res = await build({ entities: SERVICE_ROWS, service: 'fraud_model' });
    const columns = project.runs.profiles(res.run.id).map((p) => p.column);
    expect(columns).toEqual(expect.arrayContaining(['user_id', 'event_timestamp', 'txn_count']));
    expect(columns.filter((c) => c.startsWith('__fg_'))).toEqual([]);
  });
});

describe('buildDatasetStream (for POST /v1/datasets)', () => {
  it('streams Arrow IPC and CSV with the same rows as the in-memory build', async () => {
    const { buildDatasetStream } = await import('../../src/offline/historical.js');
    const mem = plain((await build({ entities: SERVICE_ROWS, service: 'fraud_model' })).table);
    const s = await buildDatasetStream(project, { entities: SERVICE_ROWS, service: 'fraud_model' });
    expect(s.contentType).toBe('application/vnd.apache.arrow.stream');
    const chunks: Uint8Array[] = [];
    for await (const c of s.body) chunks.push(c);
    expect(plain(tableFromIPC(Buffer.concat(chunks)))).toEqual(mem);
    expect(s.rows).toBe(9);

    const csv = await buildDatasetStream(project, { entities: SERVICE_ROWS, service: 'fraud_model' }, 'csv');
    let text = '';
    for await (const c of csv.body) text += Buffer.from(c).toString('utf8');
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('txn_id,user_id,merchant,event_timestamp,note,txn_count,avg_amount,risk,fraud');
    expect(lines[6]).toBe('100,1,bolt,2024-01-01T04:00:00.000001Z,r5,,,0.9,true');
  });

  it('a blocked stream is an error with code guard_blocked; cancel releases an unread stream', async () => {
    const { buildDatasetStream } = await import('../../src/offline/historical.js');
    const e = await buildDatasetStream(project, { entities: [{ user_id: 1, event_timestamp: at('01:00:00') }], features: ['user_profile:email'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FeatureguardError);
    expect((e as FeatureguardError).code).toBe('guard_blocked');
    expect((e as FeatureguardError).status).toBe(422);
    const s = await buildDatasetStream(project, { entities: SERVICE_ROWS, service: 'fraud_model' }, 'parquet');
    await s.cancel();
    // Never read: not delivered, as a body abandoned part way.
    expect(project.runs.get(s.run.id)).toMatchObject({ status: 'failed', message: expect.stringMatching(/not delivered/) });
    await s.cancel();
  });

  it('rejects when the bytes cannot be made (an unusable temp folder), the run failed: no stream that breaks off after a 200', async () => {
    const { buildDatasetStream } = await import('../../src/offline/historical.js');
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = join(dir, 'no-such-folder');
    try {
      for (const format of ['csv', 'parquet', 'json'] as const) {
        const e = await buildDatasetStream(project, { entities: SERVICE_ROWS, service: 'fraud_model' }, format).catch((x: unknown) => x);
        expect(e, format).toBeInstanceOf(FeatureguardError);
        expect([(e as FeatureguardError).code, (e as FeatureguardError).status, (e as FeatureguardError).message]).toEqual(['output_write_failed', 500, expect.stringContaining(`could not write the dataset as ${format}: ENOENT`)]);
        const [run] = project.runs.list({ limit: 1 }).runs;
        expect([run.kind, run.status, run.message]).toEqual(['dataset', 'failed', (e as Error).message]);
      }
      // Arrow needs no temp file.
      const s = await buildDatasetStream(project, { entities: SERVICE_ROWS, service: 'fraud_model' });
      const chunks: Uint8Array[] = [];
      for await (const c of s.body) chunks.push(c);
      expect(tableFromIPC(Buffer.concat(chunks)).numRows).toBe(9);
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
  });
});
