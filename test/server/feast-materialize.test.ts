/**
 * Feast's remote materialization (feast-dev/feast 0.66+, `FeatureStore._post_to_feature_server`):
 * `POST /materialize` and `/materialize-incremental` with the bodies and query flags Feast sends,
 * answered as its client reads them (any status ≥ 400 raises; 409 reads `error`).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

async function dep_delay(origin: string): Promise<unknown> {
  const read = await json(await t.app.request('/get-online-features', post({ features: ['origin_delays:dep_delay'], entities: { origin: [origin] } })));
  return read.results[1].values[0];
}

describe("Feast's remote materialization", () => {
  it('materializes a window given as Python isoformat() writes it, answering once the job is done', async () => {
    expect(await dep_delay('SEA')).toBeNull();
    const res = await t.app.request('/materialize', post({
      start_ts: '2001-01-01T00:00:00+00:00', end_ts: '2001-01-01T12:00:00.000001', feature_views: ['origin_delays'], disable_event_timestamp: false, full_feature_names: false,
    }));
    const job = await json(res);
    expect(res.status, JSON.stringify(job)).toBe(200);
    expect(job).toMatchObject({ status: 'done', runs: [{ view: 'origin_delays', status: 'success', window: { start: '2001-01-01T00:00:00.000Z', end: '2001-01-01T12:00:00.000Z' } }] });
    // Hours 0..11 of SEA (i = 0): the latest is hour 11.
    expect(await dep_delay('SEA')).toBe(11);
  });

  it('continues incrementally up to end_ts, and with ?async=true answers 202 at once', async () => {
    const res = await t.app.request('/materialize-incremental?async=true', post({ end_ts: '2001-01-02T00:00:00', feature_views: null, full_feature_names: false }));
    const accepted = await json(res);
    expect(res.status, JSON.stringify(accepted)).toBe(202);
    expect(accepted).toMatchObject({ status: 'accepted', feature_views: ['origin_delays'], job_id: expect.any(String) });
    let job = await json(await t.app.request(accepted.poll));
    for (let i = 0; i < 400 && job.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      job = await json(await t.app.request(accepted.poll));
    }
    expect(job.runs[0]).toMatchObject({ status: expect.stringMatching(/^(success|warned)$/), window: { start: '2001-01-01T12:00:00.000Z', end: '2001-01-02T00:00:00.000Z' } });
    expect(await dep_delay('SEA')).toBe(23);
  });

  it('refuses what it cannot do with a 4xx the client raises on, and materializes nothing for an empty list', async () => {
    const cases: [unknown, number, string][] = [
      [{ start_ts: '2001-01-01T00:00:00' }, 400, 'end_ts required'],
      [{ start_ts: null, end_ts: null }, 400, 'start_ts and end_ts required'],
      [{ start_ts: '2001-01-01', end_ts: '2001-01-02', version: 'v2' }, 400, '/version'],
      [{ start_ts: 'yesterday', end_ts: '2001-01-02' }, 400, 'yesterday'],
      [{ start_ts: '2001-01-01', end_ts: '2001-01-02', feature_views: ['no_such_view'] }, 400, "unknown feature view 'no_such_view'"],
    ];
    for (const [body, status, text] of cases) {
      const res = await t.app.request('/materialize', post(body));
      const answer = await json(res);
      expect([res.status, answer.error.message], JSON.stringify(body)).toEqual([status, expect.stringContaining(text)]);
    }
    const none = await t.app.request('/materialize', post({ start_ts: '2001-01-01', end_ts: '2001-01-02', feature_views: [] }));
    expect([none.status, (await json(none)).runs]).toEqual([200, []]);
  });

  it('answers 422 materialize_blocked when the guards block a view, and leaves its online values as they were', async () => {
    // A day of NaN delays (allow_nan is off by default: a blocking schema check).
    const file = join(t.fx.dir, 'data', 'delays', 'part-nan.parquet').replaceAll("'", "''");
    const engine = await t.fx.project.engine();
    await engine.run(`COPY (SELECT 'SEA' AS origin, TIMESTAMP '2001-01-05 10:00:00' AS event_timestamp, 'NaN'::DOUBLE AS dep_delay, 1::BIGINT AS flights, 'AA' AS carrier)
      TO '${file}' (FORMAT parquet)`);
    const res = await t.app.request('/materialize', post({ start_ts: '2001-01-05T00:00:00Z', end_ts: '2001-01-06T00:00:00Z', feature_views: ['origin_delays'] }));
    const answer = await json(res);
    expect([res.status, answer.error.code], JSON.stringify(answer)).toEqual([422, 'materialize_blocked']);
    expect(answer.error.message).toContain('origin_delays');
    expect(answer.error.details.job.runs[0]).toMatchObject({ view: 'origin_delays', status: 'blocked', run_id: expect.any(String) });
    expect(await dep_delay('SEA')).toBe(23);
  });

  it('takes disable_event_timestamp as everything up to now', async () => {
    const res = await t.app.request('/materialize?force=true', post({ disable_event_timestamp: true, feature_views: ['origin_delays'] }));
    const answer = await json(res);
    // Everything includes the NaN day: blocked again, with the window Feast means.
    expect(res.status).toBe(422);
    expect(answer.error.details.job.runs[0].window.start).toBe('1970-01-01T00:00:00.000Z');
    expect(Date.parse(answer.error.details.job.runs[0].window.end)).toBeGreaterThan(Date.now() - 60_000);
  });
});
