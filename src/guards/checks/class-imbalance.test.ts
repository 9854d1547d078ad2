import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContext, connection, tableName } from '../../../test/stats/check-context.js';
import type { DatasetGuardInfo } from '../stage.js';
import { classImbalanceCheck } from './class-imbalance.js';

let conn: DuckDBConnection;
const T = tableName('fg_test_ci');

beforeAll(async () => {
  conn = await connection();
  await conn.run(`CREATE TABLE ${T} AS SELECT i AS flight_id, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_timestamp,
      CASE WHEN i % 2 = 0 THEN 'no' ELSE 'yes' END AS balanced,
      CASE WHEN i < 1000 THEN 'no' ELSE 'yes' END AS skewed,
      CASE WHEN i < 1030 THEN 0 ELSE 1 END AS tiny_minority,
      (i % 3)::INTEGER AS three,
      i / 10.0 AS delay_minutes,
      [i % 2]::INTEGER[] AS list_label,
      [i % 2, 1]::FLOAT[2] AS array_label
    FROM range(1050) r(i)`);
});
afterAll(async () => {
  await conn.run(`DROP TABLE IF EXISTS ${T}`);
  conn.closeSync();
});

const ds = (label: string): DatasetGuardInfo => ({ entityTimestampColumn: 'event_timestamp', joinKeyColumns: ['flight_id'], labelColumn: label, features: [], viewTimestamps: [], availability: 'event' });

describe('class imbalance check', () => {
  it('balanced label passes with exact metrics', async () => {
    const [r] = await classImbalanceCheck(await checkContext({ conn, table: T, features: [], dataset: ds('balanced') }));
    expect(r).toMatchObject({ status: 'pass', check: 'class_imbalance', feature: 'balanced', value: 1 });
    expect(r.metrics?.normalized_entropy).toBeCloseTo(0, 12);
  });

  it('a label of lists (INTEGER[], fixed-size FLOAT[2]) is skipped with the reason', async () => {
    for (const label of ['list_label', 'array_label']) {
      const [r] = await classImbalanceCheck(await checkContext({ conn, table: T, features: [], dataset: ds(label) }));
      expect([r.status, r.message]).toEqual(['skipped', expect.stringMatching(new RegExp(`^${label} \\((INTEGER\\[\\]|FLOAT\\[2\\])\\) holds lists or structs, not classes`))]);
    }
  });

  it('IR > 10 warns (1000 vs 50 → IR 20)', async () => {
    const [r] = await classImbalanceCheck(await checkContext({ conn, table: T, features: [], dataset: ds('skewed') }));
    expect(r).toMatchObject({ status: 'warn', value: 20 });
    expect(r.metrics?.minority_share).toBe(50 / 1050);
  });

  it('a minority class under min_class_count fails (20 < 30), also for an integer label', async () => {
    const [r] = await classImbalanceCheck(await checkContext({ conn, table: T, features: [], dataset: ds('tiny_minority') }));
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(/minority class '1' has 20 rows < 30/);
  });

  it('a class of the reference that vanished fails', async () => {
    const ctx = await checkContext({ conn, table: T, features: [], dataset: ds('balanced'), referenceTop: { balanced: ['no', 'yes', 'maybe'] } });
    const [r] = await classImbalanceCheck(ctx);
    expect(r.status).toBe('fail');
    expect(r.details?.vanished).toEqual(['maybe']);
  });

  it('label views: every feature is a label; a numeric label is skipped unless bins are set', async () => {
    const view = { name: 'flight_labels', role: 'label' as const };
    const ctx = await checkContext({ conn, table: T, view, features: [{ column: 'three', type: 'int32' }, { column: 'delay_minutes', type: 'float64' }] });
    const r = new Map((await classImbalanceCheck(ctx)).map((x) => [x.feature, x]));
    expect(r.get('three')).toMatchObject({ status: 'pass', metrics: expect.objectContaining({ classes: 3 }) });
    expect(r.get('delay_minutes')?.status).toBe('skipped');
    const binned = await checkContext({ conn, table: T, view, features: [{ column: 'delay_minutes', type: 'float64' }], quality: { class_imbalance: { bins: [15] } } });
    const [b] = await classImbalanceCheck(binned);
    // delay_minutes = i/10 for i < 1050: < 15 → 150 rows, ≥ 15 → 900 rows
    expect(b).toMatchObject({ status: 'pass', details: expect.objectContaining({ counts: { '[15, inf)': 900, '(-inf, 15)': 150 } }) });
  });

  it('a single class warns; with the other class in the reference it fails', async () => {
    const one = `${T}_one`;
    await conn.run(`CREATE TABLE ${one} AS SELECT * FROM ${T} WHERE skewed = 'no'`);
    const [w] = await classImbalanceCheck(await checkContext({ conn, table: one, features: [], dataset: ds('skewed') }));
    expect(w.status).toBe('warn');
    expect(w.metrics).toMatchObject({ normalized_entropy: 1, minority_count: null });
    const [f] = await classImbalanceCheck(await checkContext({ conn, table: one, features: [], dataset: ds('skewed'), referenceTop: { skewed: ['no', 'yes'] } }));
    expect(f.status).toBe('fail');
    await conn.run(`DROP TABLE ${one}`);
  });

  it('is skipped without a label', async () => {
    const [r] = await classImbalanceCheck(await checkContext({ conn, table: T, features: [] }));
    expect(r.status).toBe('skipped');
  });
});
