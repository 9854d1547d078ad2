import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContext, connection, tableName } from '../../../test/stats/check-context.js';
import { piiCheck } from './pii.js';

let conn: DuckDBConnection;
const T = tableName('fg_test_pii');

beforeAll(async () => {
  conn = await connection();
  // 2,000 rows. Card columns: one planted Luhn-valid number among plain codes; the
  // "invalid" column holds 500 card-shaped numbers that all fail Luhn.
  await conn.run(`CREATE TABLE ${T} AS SELECT
      i AS customer_id,
      TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_timestamp,
      'user' || i || '@example.com' AS email,
      'user' || i || '@example.com' AS email_declared,
      CASE WHEN i = 777 THEN '4111 1111 1111 1111' ELSE 'ORD-' || i END AS card_planted,
      CASE WHEN i % 4 = 0 THEN '4111 1111 1111 1112' ELSE 'ORD-' || i END AS card_invalid,
      CASE i % 8 WHEN 0 THEN '666-12-3456' WHEN 1 THEN '000-12-3456' WHEN 2 THEN '912-45-6789' WHEN 3 THEN '536-00-4399'
        WHEN 4 THEN '536-90-0000' WHEN 5 THEN '111-11-1111' WHEN 6 THEN '536-90.4399' ELSE 'n/a' END AS ssn_invalid,
      CASE WHEN i % 10 = 0 THEN '536-90-' || lpad(((i % 9000) + 1000)::VARCHAR, 4, '0') ELSE 'none' END AS ssn_valid,
      ['JFK', 'LAX', 'ORD'][(1 + i % 3)::INTEGER] AS origin,
      CASE WHEN i % 200 = 0 THEN 'mail me at a' || i || '@corp.io' ELSE 'ok' END AS notes_sparse,
      i * 1.5 AS amount
    FROM range(2000) r(i)`);
});
afterAll(async () => {
  await conn.run(`DROP TABLE IF EXISTS ${T}`);
  conn.closeSync();
});

describe('PII check', () => {
  it('fails undeclared PII columns (block policy), passes declared and clean ones', async () => {
    const ctx = await checkContext({
      conn,
      table: T,
      joinKeys: ['customer_id'],
      features: [
        { column: 'email', type: 'string' },
        { column: 'email_declared', type: 'string', pii: true },
        { column: 'card_planted', type: 'string' },
        { column: 'card_invalid', type: 'string' },
        { column: 'ssn_invalid', type: 'string' },
        { column: 'ssn_valid', type: 'string' },
        { column: 'origin', type: 'string' },
        { column: 'notes_sparse', type: 'string' },
        { column: 'amount', type: 'float64' },
      ],
    });
    const r = new Map((await piiCheck(ctx)).map((x) => [x.feature, x]));
    expect(r.get('email')).toMatchObject({ status: 'fail', check: 'leakage', method: 'pii', policy: 'block', value: 1 });
    expect(r.get('email')?.message).not.toContain('user1@');
    expect(r.get('email_declared')?.status).toBe('pass');
    expect(r.get('card_planted')).toMatchObject({ status: 'fail', details: expect.objectContaining({ kinds: ['credit_card'] }) });
    expect(r.get('card_planted')?.metrics?.card_matches).toBe(1);
    expect(r.get('card_invalid')?.status).toBe('pass');
    expect(r.get('ssn_invalid')?.status).toBe('pass');
    expect(r.get('ssn_valid')).toMatchObject({ status: 'fail', details: expect.objectContaining({ kinds: ['us_ssn'] }) });
    expect(r.get('ssn_valid')?.metrics?.us_ssn_share).toBeCloseTo(0.1, 12);
    expect(r.get('origin')?.status).toBe('pass');
    expect(r.get('notes_sparse')?.status).toBe('pass'); // 0.5% < 1%
    expect(r.has('amount')).toBe(false); // only string features
  });

  it('samples at most pii_sample values, deterministically', async () => {
    const make = () => checkContext({ conn, table: T, joinKeys: ['customer_id'], features: [{ column: 'ssn_valid', type: 'string' }], quality: { leakage: { pii_sample: 500 } } });
    const [a] = await piiCheck(await make());
    const [b] = await piiCheck(await make());
    expect(a.metrics?.sampled_values).toBe(500);
    expect(a.metrics).toEqual(b.metrics);
    expect(a.status).toBe('fail');
  });

  it('is off when the pii sub-policy is off', async () => {
    const ctx = await checkContext({ conn, table: T, features: [{ column: 'email', type: 'string' }], quality: { leakage: { pii: 'off' } } });
    expect(await piiCheck(ctx)).toEqual([]);
  });
});
