/**
 * Feast's `/materialize` and `/materialize-incremental` take an `end_ts` in the future, as Feast's server does:
 * Feast's templates call `store.materialize_incremental(end_date=datetime.now())`, which sends local time without a
 * zone (read as UTC), so every client east of UTC (or with a clock a second ahead) sends an end after the server's
 * now. The end is capped at now (a window never ends in the future, so an incremental run skips no row arriving
 * until then) and the answer says so. featureguard's own `/v1/materialize` keeps refusing (`end_in_future`).
 */
import { describe, expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

/** `Date.now() + ms` as Python's naive `datetime.isoformat()` writes it (microseconds, no zone). */
const naive = (ms: number) => new Date(Date.now() + ms).toISOString().replace('Z', '').replace(/\.(\d{3})$/, '.$1123');

async function dep_delay(origin: string): Promise<unknown> {
  const read = await json(await t.app.request('/get-online-features', post({ features: ['origin_delays:dep_delay'], entities: { origin: [origin] } })));
  return read.results[1].values[0];
}

describe("Feast's materialize with an end_ts after the server's now", () => {
  it('/materialize caps the end at now, materializes the window, and says so', async () => {
    const requested = naive(2 * 3600_000); // a client at UTC+2 sending datetime.now()
    const before = Date.now();
    const res = await t.app.request('/materialize', post({ start_ts: '2001-01-01T00:00:00', end_ts: requested, feature_views: ['origin_delays'] }));
    const job = await json(res);
    expect(res.status, JSON.stringify(job)).toBe(200);
    expect(job).toMatchObject({ status: 'done', end_clamped: true, end_requested: requested, runs: [{ view: 'origin_delays', status: expect.stringMatching(/^(success|warned)$/) }] });
    const end = Date.parse(job.runs[0].window.end);
    expect(job.end).toBe(job.runs[0].window.end);
    expect(end).toBeGreaterThanOrEqual(before - 1);
    expect(end).toBeLessThanOrEqual(Date.now());
    // The run records the capped window, not the future end.
    expect(Date.parse(t.fx.project.runs.get(job.runs[0].run_id)!.window_end!)).toBe(end);
    expect(await dep_delay('SEA')).toBe(23);
  });

  it('/materialize-incremental caps it too (a clock 1 s ahead), sync and ?async=true', async () => {
    const res = await t.app.request('/materialize-incremental', post({ end_ts: naive(1000), feature_views: ['origin_delays'] }));
    const job = await json(res);
    expect(res.status, JSON.stringify(job)).toBe(200);
    expect(job).toMatchObject({ status: 'done', end_clamped: true });
    expect(Date.parse(job.runs[0].window.end)).toBeLessThanOrEqual(Date.now());
    const accepted = await t.app.request('/materialize-incremental?async=true', post({ end_ts: naive(3600_000), feature_views: ['origin_delays'] }));
    const body = await json(accepted);
    expect(accepted.status, JSON.stringify(body)).toBe(202);
    expect(body).toMatchObject({ status: 'accepted', end_clamped: true, end: expect.any(String) });
    expect(Date.parse(body.end)).toBeLessThanOrEqual(Date.now());
    let polled = await json(await t.app.request(body.poll));
    for (let i = 0; i < 400 && polled.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      polled = await json(await t.app.request(body.poll));
    }
    expect(polled.runs[0].window.end <= body.end || polled.runs[0].status === 'up_to_date').toBe(true);
  });

  it('leaves an end before now as sent (no end_clamped)', async () => {
    const res = await t.app.request('/materialize', post({ start_ts: '2001-01-01T00:00:00', end_ts: '2001-01-02T00:00:00', feature_views: ['origin_delays'] }));
    const job = await json(res);
    expect(res.status, JSON.stringify(job)).toBe(200);
    expect(job.end_clamped).toBeUndefined();
    expect(job.runs[0].window.end).toBe('2001-01-02T00:00:00.000Z');
  });

  it('answers nothing to materialize (200, each view up_to_date, no run) when start_ts is at or after the capped end', async () => {
    // A client at UTC+2 calling materialize(now - 1h, now): both times naive local, so both after the server's now.
    const runsBefore = t.fx.project.runs.list({ view: 'origin_delays' }).total;
    const [start, requested] = [naive(3600_000), naive(2 * 3600_000)];
    const before = Date.now();
    const res = await t.app.request('/materialize', post({ start_ts: start, end_ts: requested, feature_views: ['origin_delays'] }));
    const job = await json(res);
    expect(res.status, JSON.stringify(job)).toBe(200);
    expect(job).toMatchObject({
      status: 'done', end_clamped: true, end_requested: requested, end: expect.any(String),
      runs: [{ view: 'origin_delays', run_id: null, status: 'up_to_date', rows_read: 0, entities_written: 0, window: { start: job.end, end: job.end } }],
    });
    expect(Date.parse(job.end)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(job.end)).toBeLessThanOrEqual(Date.now());
    expect(job.runs[0].message).toContain('nothing to materialize');
    expect(JSON.stringify(job)).not.toContain('not before its end');
    // null feature_views: every online view, each up to date; ?async=true: accepted with nothing started.
    const all = await json(await t.app.request('/materialize', post({ start_ts: start, end_ts: requested, feature_views: null })));
    expect(all.runs.map((r: { status: string }) => r.status)).toEqual(all.runs.map(() => 'up_to_date'));
    expect(all.runs.length).toBeGreaterThan(0);
    const accepted = await t.app.request('/materialize?async=true', post({ start_ts: start, end_ts: requested, feature_views: ['origin_delays'] }));
    const body = await json(accepted);
    expect([accepted.status, body]).toEqual([202, { status: 'accepted', feature_views: ['origin_delays'], job_id: expect.any(String), poll: `/v1/materialize/${body.job_id}`, end_clamped: true, end_requested: requested, end: expect.any(String) }]);
    expect(await json(await t.app.request(body.poll))).toMatchObject({ id: body.job_id, status: 'done', runs: [{ view: 'origin_delays', run_id: null, status: 'up_to_date' }] });
    // The synchronous answer is a job too, polled as any.
    expect(await json(await t.app.request(`/v1/materialize/${job.id}`))).toMatchObject({ id: job.id, status: 'done', runs: [{ status: 'up_to_date' }] });
    expect(t.fx.project.runs.list({ view: 'origin_delays' }).total).toBe(runsBefore);
    // The views are still checked, and a window the client sent empty (an end before now) is still a 400.
    const unknown = await t.app.request('/materialize', post({ start_ts: start, end_ts: requested, feature_views: ['nope'] }));
    expect([unknown.status, (await json(unknown)).error.code]).toEqual([400, 'unknown_view']);
    const backwards = await t.app.request('/materialize', post({ start_ts: start, end_ts: '2001-01-01T00:00:00', feature_views: ['origin_delays'] }));
    expect(backwards.status).toBe(400);
  });

  it("featureguard's own /v1/materialize still refuses an end in the future", async () => {
    const res = await t.app.request('/v1/materialize', post({ views: ['origin_delays'], start: '2001-01-01', end: naive(3600_000) }));
    const body = await json(res);
    expect([res.status, body.error.code]).toEqual([400, 'end_in_future']);
  });
});
