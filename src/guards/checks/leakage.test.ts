import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContext, connection, tableName } from '../../../test/stats/check-context.js';
import type { DatasetGuardInfo } from '../stage.js';
import { applyPolicies, runFamily } from '../verdict.js';
import { leakageCheck } from './leakage.js';

let conn: DuckDBConnection;
const T = tableName('fg_test_leak');
const TRAIN = `${T}_train`;
const TEST = `${T}_test`;
const TRAIN_BAD = `${T}_train_bad`;

beforeAll(async () => {
  conn = await connection();
  // 3,000 entity rows; label ~30% positive; hidden per-view timestamps.
  await conn.run(`CREATE TABLE ${T} AS
    SELECT i % 500 AS driver_id,
           TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS event_timestamp,
           (hash(i * 7) % 10 < 3)::INTEGER AS label,
           (hash(i * 7) % 10 < 3)::INTEGER AS leaked,
           CASE WHEN hash(i * 7) % 10 < 3 THEN 'late' ELSE 'on_time' END AS leaked_cat,
           (hash(i * 13) % 1000) / 10.0 AS harmless,
           ['JFK', 'LAX', 'ORD', 'SFO'][(1 + hash(i * 17) % 4)::INTEGER] AS origin,
           'trip-' || i AS trip_id,
           TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR - INTERVAL 30 MINUTE AS "__good_event_ts",
           TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR - INTERVAL 20 MINUTE AS "__good_created_ts",
           TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + CASE WHEN i % 100 = 0 THEN INTERVAL 2 HOUR ELSE -INTERVAL 1 HOUR END AS "__bad_event_ts",
           TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + CASE WHEN i % 50 = 0 THEN INTERVAL 5 MINUTE ELSE -INTERVAL 1 MINUTE END AS "__late_created_ts",
           TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR - INTERVAL 2 HOUR AS "__late_event_ts"
    FROM range(3000) r(i)`);
  await conn.run(`CREATE TABLE ${TRAIN} AS SELECT * FROM ${T} WHERE event_timestamp < TIMESTAMP '2024-03-01'`);
  await conn.run(`CREATE TABLE ${TEST} AS SELECT * FROM ${T} WHERE event_timestamp >= TIMESTAMP '2024-03-01'`);
  // a random split: test rows interleave with train rows, and 10 rows are in both
  await conn.run(`CREATE TABLE ${TRAIN_BAD} AS SELECT * FROM ${T} WHERE hash(event_timestamp) % 4 <> 0 OR event_timestamp < TIMESTAMP '2024-01-01 10:00'`);
  await conn.run(`CREATE OR REPLACE TABLE ${TEST}_bad AS SELECT * FROM ${T} WHERE hash(event_timestamp) % 4 = 0 OR event_timestamp < TIMESTAMP '2024-01-01 10:00'`);
});
afterAll(async () => {
  for (const t of [T, TRAIN, TEST, TRAIN_BAD, `${TEST}_bad`]) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  conn.closeSync();
});

function dataset(extra: Partial<DatasetGuardInfo> = {}): DatasetGuardInfo {
  return {
    entityTimestampColumn: 'event_timestamp',
    joinKeyColumns: ['driver_id'],
    labelColumn: 'label',
    features: [],
    viewTimestamps: [{ view: 'good', eventTsColumn: '__good_event_ts', createdTsColumn: '__good_created_ts' }],
    availability: 'event',
    ...extra,
  };
}

const features = [
  { column: 'leaked', type: 'int64' as const },
  { column: 'leaked_cat', type: 'string' as const },
  { column: 'harmless', type: 'float64' as const },
  { column: 'origin', type: 'string' as const },
  { column: 'trip_id', type: 'string' as const },
];

describe('leakage check', () => {
  it('target leakage: a leaked label column fails, harmless features pass, an identifier is reported as such', async () => {
    const ctx = await checkContext({ conn, table: T, features, dataset: dataset() });
    const results = await leakageCheck(ctx);
    const target = new Map(results.filter((r) => r.method === 'target').map((r) => [r.feature, r]));
    expect(target.get('leaked')).toMatchObject({ status: 'fail', value: 1, check: 'leakage', policy: 'warn' });
    expect(target.get('leaked')?.message).toMatch(/leaked label/);
    expect(target.get('leaked_cat')).toMatchObject({ status: 'fail', value: 1 });
    expect(target.get('harmless')?.status).toBe('pass');
    expect(target.get('harmless')?.value).toBeLessThan(0.6);
    expect(target.get('origin')?.status).toBe('pass');
    expect(target.get('trip_id')).toMatchObject({ status: 'warn', details: expect.objectContaining({ identifier_like: true }) });
    // no split → overlap skipped; temporal clean → pass
    expect(results.find((r) => r.method === 'overlap')?.status).toBe('skipped');
    expect(results.find((r) => r.method === 'temporal')).toMatchObject({ status: 'pass', policy: 'block' });
  });

  it('target leakage respects per-feature thresholds and the row sample', async () => {
    const ctx = await checkContext({
      conn,
      table: T,
      features: [{ column: 'leaked', type: 'int64', quality: { leakage: { target_warn: 1.01, target_fail: 1.02 } } }],
      dataset: dataset(),
      quality: { leakage: { sample_rows: 400 } },
    });
    const [r] = (await leakageCheck(ctx)).filter((x) => x.method === 'target');
    expect(r.status).toBe('pass');
    expect(r.details?.sampled_rows).toBe(400);
  });

  it('numeric and multiclass labels', async () => {
    const N = `${T}_num`;
    await conn.run(`CREATE TABLE ${N} AS SELECT i AS driver_id, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_timestamp,
      i * 0.5 + 3 AS y, i * 2.0 AS twin, (hash(i) % 997)::DOUBLE AS noise, ['a','b','c'][(1 + i % 3)::INTEGER] AS cls, (i % 3)::DOUBLE AS cls_code FROM range(600) r(i)`);
    const num = await checkContext({ conn, table: N, features: [{ column: 'twin', type: 'float64' }, { column: 'noise', type: 'float64' }], dataset: dataset({ labelColumn: 'y', viewTimestamps: [] }) });
    const rn = new Map((await leakageCheck(num)).filter((r) => r.method === 'target').map((r) => [r.feature, r]));
    expect(rn.get('twin')).toMatchObject({ status: 'fail', details: expect.objectContaining({ score_method: 'spearman', label_kind: 'numeric' }) });
    expect(rn.get('noise')?.status).toBe('pass');
    const multi = await checkContext({ conn, table: N, features: [{ column: 'cls_code', type: 'float64' }, { column: 'noise', type: 'float64' }], dataset: dataset({ labelColumn: 'cls', viewTimestamps: [] }) });
    const rm = new Map((await leakageCheck(multi)).filter((r) => r.method === 'target').map((r) => [r.feature, r]));
    expect(rm.get('cls_code')).toMatchObject({ status: 'fail', details: expect.objectContaining({ score_method: 'auc_ovr' }) });
    expect(rm.get('noise')?.status).toBe('pass');
    await conn.run(`DROP TABLE ${N}`);
  });

  it('a 0/1 label stored as DOUBLE is read as classes: a feature it was cut from fails by AUC', async () => {
    const B = `${T}_float01`;
    await conn.run(`CREATE TABLE ${B} AS SELECT i AS driver_id, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_timestamp, d, (d > 80)::DOUBLE AS late
      FROM (SELECT i, (hash(i) % 1000) / 10.0 AS d FROM range(3000) r(i))`);
    const ctx = await checkContext({ conn, table: B, features: [{ column: 'd', type: 'float64' }], dataset: dataset({ labelColumn: 'late', viewTimestamps: [] }) });
    const [r] = (await leakageCheck(ctx)).filter((x) => x.method === 'target');
    // Read as numbers, |Spearman| would be about 0.69 here (below the 0.9 warn line): a total leak passing.
    expect(r).toMatchObject({ status: 'fail', value: 1, details: expect.objectContaining({ label_kind: 'classes' }) });
    await conn.run(`DROP TABLE ${B}`);
  });

  it('a ±Infinity in a numeric label is a missing label: a categorical feature that determines the label fails (it was skipped as "constant")', async () => {
    const I = `${T}_inflabel`;
    // 400 rows, the label (i % 5) · 10.5 determined by the segment; row 7 holds +Infinity, row 8 −Infinity.
    await conn.run(`CREATE TABLE ${I} AS SELECT i AS driver_id, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_timestamp,
      CASE i WHEN 7 THEN 'inf'::DOUBLE WHEN 8 THEN '-inf'::DOUBLE ELSE (i % 5) * 10.5 END AS spend,
      's' || (i % 5) AS segment, (i % 5)::DOUBLE AS code,
      CASE WHEN i = 7 THEN 'inf'::DOUBLE ELSE (i % 2)::DOUBLE END AS late FROM range(400) r(i)`);
    const features = [{ column: 'segment', type: 'string' as const }, { column: 'code', type: 'float64' as const }];
    const ctx = await checkContext({ conn, table: I, features, dataset: dataset({ labelColumn: 'spend', viewTimestamps: [] }) });
    const r = new Map((await leakageCheck(ctx)).filter((x) => x.method === 'target').map((x) => [x.feature, x]));
    expect(r.get('segment')).toMatchObject({ status: 'fail', value: 1, metrics: expect.objectContaining({ rows: 398 }), details: expect.objectContaining({ score_method: 'correlation_ratio', label_kind: 'numeric' }) });
    expect(r.get('code')).toMatchObject({ status: 'fail', value: 1, metrics: expect.objectContaining({ rows: 398 }) });
    // A 0/1 label stored as DOUBLE with one Infinity is still a label of classes (the Infinity made it numeric).
    const cls = await checkContext({ conn, table: I, features: [{ column: 'segment', type: 'string' }], dataset: dataset({ labelColumn: 'late', viewTimestamps: [] }) });
    const [c] = (await leakageCheck(cls)).filter((x) => x.method === 'target');
    expect(c).toMatchObject({ status: 'pass', metrics: expect.objectContaining({ rows: 399 }), details: expect.objectContaining({ label_kind: 'classes', score_method: 'predictive_power' }) });
    await conn.run(`DROP TABLE ${I}`);
  });

  it('temporal leakage: a feature from the future fails; a late-created value warns under availability event', async () => {
    const ctx = await checkContext({
      conn,
      table: T,
      features: [],
      dataset: dataset({
        labelColumn: undefined,
        viewTimestamps: [
          { view: 'good', eventTsColumn: '__good_event_ts', createdTsColumn: '__good_created_ts' },
          { view: 'bad', eventTsColumn: '__bad_event_ts', createdTsColumn: null },
          { view: 'late', eventTsColumn: '__late_event_ts', createdTsColumn: '__late_created_ts' },
        ],
      }),
    });
    const t = new Map((await leakageCheck(ctx)).filter((r) => r.method === 'temporal').map((r) => [r.details?.view, r]));
    expect(t.get('good')?.status).toBe('pass');
    expect(t.get('bad')).toMatchObject({ status: 'fail', value: 30, policy: 'block' });
    expect(t.get('late')).toMatchObject({ status: 'warn', value: 60 });
    const created = await checkContext({ conn, table: T, features: [], dataset: dataset({ labelColumn: undefined, availability: 'created', viewTimestamps: [{ view: 'late', eventTsColumn: '__late_event_ts', createdTsColumn: '__late_created_ts' }] }) });
    expect((await leakageCheck(created)).find((r) => r.method === 'temporal')?.status).toBe('fail');
  });

  it('train/test overlap: a time split passes, a random split with shared rows fails', async () => {
    const clean = await checkContext({ conn, table: T, features: [], dataset: dataset({ labelColumn: undefined, split: { trainTable: TRAIN, testTable: TEST } }) });
    expect((await leakageCheck(clean)).find((r) => r.method === 'overlap')).toMatchObject({ status: 'pass', value: 0 });
    const bad = await checkContext({ conn, table: T, features: [], dataset: dataset({ labelColumn: undefined, split: { trainTable: TRAIN_BAD, testTable: `${TEST}_bad` } }) });
    const r = (await leakageCheck(bad)).find((x) => x.method === 'overlap');
    expect(r?.status).toBe('fail');
    expect(r?.metrics?.test_before_last_train_share).toBeGreaterThan(0.9);
    const [{ n }] = (await conn.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${TEST}_bad`)).getRowObjectsJson() as { n: number }[];
    expect(r?.metrics?.shared_rows_share).toBeCloseTo(10 / n, 12);
  });

  it('a broken target-leakage score is an error under target\'s own policy (warn); temporal leakage is still checked', async () => {
    const ctx = await checkContext({ conn, table: T, features, dataset: dataset({ joinKeyColumns: ['no_such_key'] }) });
    const v = applyPolicies(await runFamily(ctx, { family: 'leakage', name: 'target', run: leakageCheck }));
    expect(v.results.filter((r) => r.status === 'error').map((r) => [r.method, r.policy, r.message])).toEqual([['target', 'warn', expect.stringMatching(/^leakage\.target check broke: Binder Error/)]]);
    expect(v.results.find((r) => r.method === 'temporal')).toMatchObject({ status: 'pass', policy: 'block' });
    expect(v.verdict).toBe('warn');
  });

  it('a fixed-size array feature (FLOAT[3]) is skipped with its reason; a column whose read breaks costs only its own score', async () => {
    const A = `${T}_arrays`;
    await conn.run(`CREATE TABLE ${A} AS SELECT *, [harmless, harmless, 1]::FLOAT[3] AS emb3, 'x' || driver_id AS word, [label]::FLOAT[] AS label_list FROM ${T}`);
    try {
      const ctx = await checkContext({ conn, table: A, features: [{ column: 'emb3', type: 'float32[]' }, { column: 'leaked', type: 'int64' }, { column: 'word', type: 'string' }], dataset: dataset() });
      // `word` claimed to be a DOUBLE column: its cast breaks the read, as an unforeseen type would.
      const lying = { ...ctx, columns: ctx.columns.map((c) => (c.name === 'word' ? { ...c, type: 'DOUBLE' } : c)) };
      const target = new Map((await leakageCheck(lying)).filter((r) => r.method === 'target').map((r) => [r.feature, r]));
      expect(target.get('emb3')).toMatchObject({ status: 'skipped', message: 'emb3 (FLOAT[3]) is not scored for target leakage' });
      expect(target.get('leaked')).toMatchObject({ status: 'fail', value: 1 });
      expect(target.get('word')).toMatchObject({ status: 'error', message: expect.stringMatching(/^word: target leakage could not be computed: Conversion Error/) });
      // A label of lists is neither classes nor numbers: skipped, not an error that would judge the build.
      const listLabel = await leakageCheck(await checkContext({ conn, table: A, features: [{ column: 'leaked', type: 'int64' }], dataset: dataset({ labelColumn: 'label_list' }) }));
      expect(listLabel.filter((r) => r.method === 'target').map((r) => [r.status, r.message])).toEqual([['skipped', 'label label_list (FLOAT[]) holds lists or structs, neither classes nor numbers: target leakage not checked']]);
    } finally {
      await conn.run(`DROP TABLE ${A}`);
    }
  });

  it('is skipped outside dataset builds', async () => {
    const ctx = await checkContext({ conn, table: T, features });
    const results = await leakageCheck(ctx);
    expect(results).toHaveLength(1);
    expect(results[0].status).toBe('skipped');
  });
});
