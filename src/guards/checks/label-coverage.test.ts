import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContext, connection, tableName } from '../../../test/stats/check-context.js';
import type { FeatureServiceDef, FeatureViewDef } from '../../definitions/types.js';
import type { CheckResult } from '../../runs/types.js';
import type { DatasetGuardInfo } from '../stage.js';
import { classImbalanceCheck } from './class-imbalance.js';

let conn: DuckDBConnection;
const T = tableName('fg_test_cov');
const TRAIN = `${T}_train`;
const TEST = `${T}_test`;

// 100 rows a minute apart; the first 80 are the train part, the last 20 the test part.
beforeAll(async () => {
  conn = await connection();
  await conn.run(`CREATE TABLE ${T} AS SELECT i AS txn_id, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_timestamp,
      CASE WHEN i < 80 THEN NULL WHEN i % 2 = 0 THEN 'no' ELSE 'yes' END AS late,
      CASE WHEN i % 2 = 0 THEN 'no' ELSE 'yes' END AS full_label,
      CASE WHEN i < 80 AND i % 2 = 1 THEN NULL WHEN i % 4 = 0 THEN 'no' ELSE 'yes' END AS half,
      CASE WHEN i < 41 THEN NULL WHEN i % 2 = 0 THEN 'no' ELSE 'yes' END AS under_half,
      CASE WHEN i < 80 THEN NULL ELSE i / 7.0 END AS score,
      CASE WHEN i < 80 THEN 'NaN'::DOUBLE ELSE (i % 2)::DOUBLE END AS nan_label,
      NULL::VARCHAR AS never
    FROM range(100) r(i)`);
  await conn.run(`CREATE VIEW ${TRAIN} AS SELECT * FROM ${T} WHERE txn_id < 80`);
  await conn.run(`CREATE VIEW ${TEST} AS SELECT * FROM ${T} WHERE txn_id >= 80`);
});
afterAll(async () => {
  await conn.run(`DROP VIEW IF EXISTS ${TRAIN}`);
  await conn.run(`DROP VIEW IF EXISTS ${TEST}`);
  await conn.run(`DROP TABLE IF EXISTS ${T}`);
  conn.closeSync();
});

const ds = (label: string, split = true): DatasetGuardInfo => ({
  entityTimestampColumn: 'event_timestamp', joinKeyColumns: ['txn_id'], labelColumn: label, features: [], viewTimestamps: [], availability: 'event',
  ...(split ? { split: { trainTable: TRAIN, testTable: TEST } } : {}),
});
/** The label coverage results by part. */
async function coverage(label: string, opts: { split?: boolean; quality?: Record<string, unknown> } = {}): Promise<Map<string, CheckResult>> {
  const ctx = await checkContext({ conn, table: T, features: [], dataset: ds(label, opts.split ?? true), quality: opts.quality ? { class_imbalance: opts.quality } : undefined });
  const results = await classImbalanceCheck(ctx);
  return new Map(results.filter((r) => r.method === 'labelled_rows').map((r) => [String(r.details?.part), r]));
}

describe('label coverage of a dataset build (class_imbalance.labelled_rows)', () => {
  it('fails a train part without a labelled row, names the part and a likely cause; the labelled test part passes', async () => {
    const r = await coverage('late');
    expect([...r.keys()]).toEqual(['train', 'test']);
    const train = r.get('train')!;
    expect(train).toMatchObject({ check: 'class_imbalance', method: 'labelled_rows', feature: 'late', status: 'fail', policy: 'warn', value: 0 });
    expect(train.metrics).toEqual({ rows: 80, labelled_rows: 0, labelled_share: 0 });
    // Taken from the entity rows (no label view joined): their own values are missing.
    expect(train.message).toBe("late: the train part has no labelled row (0 of 80 rows): the rows' own late values are missing");
    expect(r.get('test')).toMatchObject({ status: 'pass', value: 1, metrics: { rows: 20, labelled_rows: 20, labelled_share: 1 } });
  });

  it("with the label view joined, the message asks whether labels arrive later or the view's ttl is too short", async () => {
    const dataset: DatasetGuardInfo = { ...ds('late'), viewTimestamps: [{ view: 'outcome', eventTsColumn: 'h_event', createdTsColumn: null }] };
    const ctx = await checkContext({ conn, table: T, features: [], dataset });
    const outcome = { kind: 'feature_view', name: 'outcome', role: 'label', entities: [], source: 's', features: [], ttl: '1d' } as FeatureViewDef;
    const withTtl = {
      ...ctx,
      service: { kind: 'feature_service', name: 'svc', features: [], label: 'outcome:late' } as FeatureServiceDef,
      definitions: { ...ctx.definitions, views: new Map([['outcome', outcome]]) },
    };
    const train = (await classImbalanceCheck(withTtl)).find((x) => x.method === 'labelled_rows' && x.details?.part === 'train')!;
    expect(train.message).toBe(
      "late: the train part has no labelled row (0 of 80 rows): a label joins an entity row only when dated at or before its timestamp: do the labels arrive later than the entity rows, is outcome's ttl (1d) shorter than the gap, or have the rows' keys no label rows?",
    );
  });

  it('passes a fully labelled build, split or not', async () => {
    const split = await coverage('full_label');
    expect([...split.values()].map((x) => [x.details?.part, x.status, x.value])).toEqual([['train', 'pass', 1], ['test', 'pass', 1]]);
    const whole = await coverage('full_label', { split: false });
    expect([...whole.values()].map((x) => [x.details?.part, x.status, x.metrics])).toEqual([['all', 'pass', { rows: 100, labelled_rows: 100, labelled_share: 1 }]]);
  });

  it('passes a share equal to min_labelled_share (default 0.5) and fails one below it', async () => {
    // half: 40 of the 80 train rows labelled (0.5); under_half: 39 of 80 (0.4875).
    const half = (await coverage('half')).get('train')!;
    expect(half).toMatchObject({ status: 'pass', value: 40 / 80, thresholds: { min_labelled_share: 0.5 }, metrics: { labelled_rows: 40 } });
    const under = (await coverage('under_half')).get('train')!;
    expect(under).toMatchObject({ status: 'fail', value: 39 / 80, metrics: { labelled_rows: 39 } });
    expect(under.message).toMatch(/^under_half: the train part has 39 labelled rows of 80 \(48\.8%\) < min_labelled_share 0\.5/);
    // The threshold is configurable: 0.49 passes 39/80? No (0.4875 < 0.49); 0.48 does; 0.51 fails 40/80.
    expect((await coverage('under_half', { quality: { min_labelled_share: 0.49 } })).get('train')!.status).toBe('fail');
    expect((await coverage('under_half', { quality: { min_labelled_share: 0.48 } })).get('train')!.status).toBe('pass');
    expect((await coverage('half', { quality: { min_labelled_share: 0.51 } })).get('train')!.status).toBe('fail');
  });

  it('covers numeric labels too (their class balance is skipped), and counts a NaN label as missing', async () => {
    const all = await classImbalanceCheck(await checkContext({ conn, table: T, features: [], dataset: ds('score') }));
    expect(all.find((x) => x.method === 'imbalance')?.status).toBe('skipped');
    const score = await coverage('score');
    expect([score.get('train')?.status, score.get('test')?.status]).toEqual(['fail', 'pass']);
    const nan = await coverage('nan_label');
    expect([nan.get('train')?.status, nan.get('train')?.metrics?.labelled_rows, nan.get('test')?.status]).toEqual(['fail', 0, 'pass']);
  });

  it('an unlabelled build: class balance stays skipped, coverage fails the whole set', async () => {
    const all = await classImbalanceCheck(await checkContext({ conn, table: T, features: [], dataset: ds('never', false) }));
    expect(all.find((x) => x.method === 'imbalance')).toMatchObject({ status: 'skipped', message: 'never has no labelled rows' });
    const cov = all.filter((x) => x.method === 'labelled_rows');
    expect(cov.map((x) => [x.details?.part, x.status])).toEqual([['all', 'fail']]);
    expect(cov[0].message).toMatch(/^never: the dataset has no labelled row \(0 of 100 rows\)/);
  });

  it('is not recorded for label views (no dataset)', async () => {
    const ctx = await checkContext({ conn, table: T, view: { name: 'outcome', role: 'label' }, features: [{ column: 'late', type: 'string' }] });
    expect((await classImbalanceCheck(ctx)).map((x) => x.method)).toEqual(['imbalance']);
  });
});
