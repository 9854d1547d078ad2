/**
 * Query parameters are checked as bodies are: an unknown one on `GET /v1/runs` (a misspelt filter) and a
 * Feast flag (`?async`, `?force`) that is neither a FastAPI true nor false are a 400 `bad_request`, not ignored.
 */
import { expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

it('refuses an unknown query parameter on /v1/runs', async () => {
  const res = await t.app.request('/v1/runs?views=origin_delays');
  expect(res.status).toBe(400);
  const body = await json(res);
  expect(body.error.code).toBe('bad_request');
  expect(body.error.message).toContain("'views'");
  expect(body.error.details.unknown).toEqual(['views']);
  expect((await t.app.request('/v1/runs?view=origin_delays&limit=5')).status).toBe(200);
});

it('refuses a Feast flag that is no boolean, and reads the ones FastAPI reads', async () => {
  const none = { start_ts: '2001-01-01T00:00:00', end_ts: '2001-01-01T00:00:01', feature_views: [] };
  for (const q of ['async=yes-please', 'async=', 'force=maybe']) {
    const res = await t.app.request(`/materialize?${q}`, post(none));
    expect(res.status, q).toBe(400);
    expect((await json(res)).error.code).toBe('bad_request');
  }
  for (const [q, status] of [['async=TRUE', 202], ['async=y', 202], ['async=off', 200], ['async=0&force=1', 200]] as const) {
    expect((await t.app.request(`/materialize?${q}`, post(none))).status, q).toBe(status);
  }
});
