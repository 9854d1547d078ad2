/**
 * A 401 names its scheme (`WWW-Authenticate: Bearer realm="featureguard"`, RFC 9110 §11.6.1); a 403 does not.
 */
import { expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { bearer, post, READ_SEA, useAppFixture } from './fixture.js';

const t = useAppFixture();

it('answers a 401 with WWW-Authenticate, and no other status', async () => {
  const readKey = keyStoreFor(t.fx.project.state).create('read', 'reader').key;
  for (const init of [undefined, { headers: bearer('fg_0123456789_' + 'x'.repeat(43)) }]) {
    const res = await t.app.request('/v1/runs', init);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="featureguard"');
  }
  const denied = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [] }, bearer(readKey)));
  expect(denied.status).toBe(403);
  expect(denied.headers.get('www-authenticate')).toBeNull();
  const ok = await t.app.request('/v1/online-features', post(READ_SEA, bearer(readKey)));
  expect(ok.status).toBe(200);
  expect(ok.headers.get('www-authenticate')).toBeNull();
});
