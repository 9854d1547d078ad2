/**
 * `Idempotency-Key` on `POST /v1/push` and Feast's `POST /push`: a retried push (the same key and body) answers the
 * first push's answer again and writes nothing — no second file offline — and the same key with another body is a
 * 409 `idempotency_key_reused`. The SDK takes `idempotencyKey`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { push } from '../../src/serving/push.js';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();
const pushedFiles = () => readdirSync(join(t.fx.dir, 'data', 'delays')).filter((f) => f.includes('push-')).sort();
const row = (dep_delay: number, at = '2001-01-02T00:00:00Z') => ({ origin: 'SEA', event_timestamp: at, dep_delay, flights: 1, carrier: 'AA' });

/** The rows the source's files hold for `at` (read by DuckDB, not by featureguard). */
async function offlineRows(at: string): Promise<number> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    const glob = join(t.fx.dir, 'data', 'delays', '*.parquet').replaceAll("'", "''");
    const r = await conn.runAndReadAll(`SELECT count(*)::INT FROM read_parquet('${glob}') WHERE event_timestamp = TIMESTAMP '${at.replace('T', ' ').replace('Z', '')}'`);
    return Number(r.getRowsJS()[0][0]);
  } finally {
    conn.closeSync();
  }
}

describe('POST /v1/push with an Idempotency-Key', () => {
  it('answers a retry with the first answer (same run_id, 200, Idempotent-Replayed), writing one file', async () => {
    const body = { view: 'origin_delays', to: 'both', rows: [row(7)] };
    const before = pushedFiles();
    const first = await t.app.request('/v1/push', post(body, { 'idempotency-key': 'k-1' }));
    const a = await json(first);
    expect(first.status, JSON.stringify(a)).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const second = await t.app.request('/v1/push', post(body, { 'idempotency-key': 'k-1' }));
    const b = await json(second);
    expect(second.status, JSON.stringify(b)).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(b).toEqual({ ...a, replayed: true });
    expect(pushedFiles().length).toBe(before.length + 1);
    expect(await offlineRows('2001-01-02T00:00:00Z')).toBe(1);
    // One run in the quality log, carrying the key.
    const runs = t.fx.project.runs.list({ kind: 'push', view: 'origin_delays' }).runs.filter((r) => (r.options as { idempotency_key?: string } | null)?.idempotency_key === 'k-1');
    expect(runs.map((r) => r.id)).toEqual([a.run_id]);
  });

  it('answers a retry of a blocked push with its 422 again, marked Idempotent-Replayed, with the same run', async () => {
    const body = { view: 'origin_delays', to: 'both', rows: [{ ...row(1, '2001-01-06T00:00:00Z'), flights: -5 }] };
    const first = await t.app.request('/v1/push', post(body, { 'idempotency-key': 'k-blocked' }));
    const a = await json(first);
    expect([first.status, a.error.code, first.headers.get('idempotent-replayed')]).toEqual([422, 'push_blocked', null]);
    const second = await t.app.request('/v1/push', post(body, { 'idempotency-key': 'k-blocked' }));
    const b = await json(second);
    expect([second.status, b.error.code, second.headers.get('idempotent-replayed')]).toEqual([422, 'push_blocked', 'true']);
    expect(b.error.details.run_id).toBe(a.error.details.run_id);
  });

  it('refuses the same key with another body: 409 idempotency_key_reused, nothing written', async () => {
    const key = 'k-2';
    const first = await t.app.request('/v1/push', post({ view: 'origin_delays', to: 'both', rows: [row(1, '2001-01-03T00:00:00Z')] }, { 'idempotency-key': key }));
    expect(first.status).toBe(200);
    const files = pushedFiles();
    const other = await t.app.request('/v1/push', post({ view: 'origin_delays', to: 'both', rows: [row(2, '2001-01-03T00:00:00Z')] }, { 'idempotency-key': key }));
    const body = await json(other);
    expect(other.status, JSON.stringify(body)).toBe(409);
    expect(body.error.code).toBe('idempotency_key_reused');
    expect(pushedFiles()).toEqual(files);
    expect(await offlineRows('2001-01-03T00:00:00Z')).toBe(1);
  });

  it('without a key a repeated body is pushed again (two files), as before', async () => {
    const body = { view: 'origin_delays', to: 'offline', rows: [row(3, '2001-01-04T00:00:00Z')] };
    const files = pushedFiles().length;
    for (let i = 0; i < 2; i++) expect((await t.app.request('/v1/push', post(body))).status).toBe(200);
    expect(pushedFiles().length).toBe(files + 2);
  });

  it("takes the key on Feast's POST /push too", async () => {
    const body = { push_source_name: 'origin_delays', to: 'both', df: { origin: ['SEA'], event_timestamp: ['2001-01-05T00:00:00Z'], dep_delay: [4], flights: [1], carrier: ['AA'] } };
    const a = await json(await t.app.request('/push', post(body, { 'idempotency-key': 'k-feast' })));
    const second = await t.app.request('/push', post(body, { 'idempotency-key': 'k-feast' }));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await json(second)).run_id).toBe(a.run_id);
    expect(await offlineRows('2001-01-05T00:00:00Z')).toBe(1);
  });

  it('answers the same key sent twice at once with one run: the second waits for the first and replays it', async () => {
    const body = { view: 'origin_delays', to: 'both', rows: [row(8, '2001-01-07T00:00:00Z')] };
    const [a, b] = await Promise.all([0, 1].map(async () => json(await t.app.request('/v1/push', post(body, { 'idempotency-key': 'k-race' })))));
    expect(b.run_id).toBe(a.run_id);
    expect([a.replayed, b.replayed].filter(Boolean)).toEqual([true]);
    expect(await offlineRows('2001-01-07T00:00:00Z')).toBe(1);
  });

  it('takes idempotencyKey in the SDK push', async () => {
    const request = { view: 'origin_delays', to: 'offline' as const, rows: [row(5, '2001-01-06T00:00:00Z')], idempotencyKey: 'k-sdk' };
    const a = await push(t.fx.project, request);
    const b = await push(t.fx.project, request);
    expect(b).toEqual({ ...a, replayed: true });
    expect(await offlineRows('2001-01-06T00:00:00Z')).toBe(1);
    await expect(push(t.fx.project, { ...request, rows: [row(6, '2001-01-06T00:00:00Z')] })).rejects.toMatchObject({ code: 'idempotency_key_reused', status: 409 });
  });
});
