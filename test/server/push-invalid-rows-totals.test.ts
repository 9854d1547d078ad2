/**
 * POST /v1/push of a row with two bad values answers 400 `invalid_rows` with two problems, not three (an int64
 * that is no digit string was "must be integer" and "must match pattern" with the int64 regex), and the error's
 * details carry the totals its blocked run records.
 */
import { expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

it('answers one problem per bad value, with the totals of the run', async () => {
  const good = { origin: 'SEA', event_timestamp: '2001-01-05T10:00:00Z', dep_delay: 1.5, flights: 4, carrier: 'AA' };
  const res = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [good, { ...good, origin: 'SFO', dep_delay: 'late', flights: 'four' }] }));
  const body = await json(res);
  expect([res.status, body.error.code]).toEqual([400, 'invalid_rows']);
  expect(body.error.message).toBe("2 problems in 1 of 2 pushed rows for view 'origin_delays'; first: row 1 (counting from 0) at /1/dep_delay: must be number");
  expect(body.error.details).toMatchObject({
    problems: [
      { row: 1, path: '/1/dep_delay', message: 'must be number' },
      { row: 1, path: '/1/flights', message: 'must be an integer or a string of digits (int64)' },
    ],
    invalid_rows: 1,
    problem_count: 2,
  });
  const [result] = t.fx.project.runs.results(body.error.details.run_id);
  expect([result.check, result.value, result.metrics]).toEqual(['schema', 1, { rows: 2, invalid_rows: 1, problems: 2 }]);
});
