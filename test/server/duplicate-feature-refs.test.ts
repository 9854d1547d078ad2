/**
 * A feature reference given twice is a 400 `feature_name_collision` (Feast's `_validate_feature_refs` refuses it),
 * on Feast's read path and on featureguard's own online read, instead of an answer with fewer columns than were asked for.
 */
import { expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

it('refuses a repeated feature reference', async () => {
  const body = { features: ['origin_delays:dep_delay', 'origin_delays:dep_delay'], entities: { origin: ['SEA'] } };
  for (const path of ['/get-online-features', '/v1/online-features']) {
    const res = await t.app.request(path, post(body));
    expect(res.status, path).toBe(400);
    const err = (await json(res)).error;
    expect(err.code).toBe('feature_name_collision');
    expect(err.details).toEqual({ reference: 'origin_delays:dep_delay' });
  }
  // Distinct references still read.
  const ok = await t.app.request('/get-online-features', post({ features: ['origin_delays:dep_delay', 'origin_delays:flights'], entities: { origin: ['SEA'] } }));
  expect(ok.status).toBe(200);
  expect((await json(ok)).metadata.feature_names).toEqual(['origin', 'dep_delay', 'flights']);
});
