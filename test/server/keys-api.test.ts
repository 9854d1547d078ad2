/**
 * API keys over HTTP (`/v1/keys`, admin scope): the first key can be created on
 * an open loopback server and is required from the very next request; list never
 * shows a secret or a hash; revoke takes effect at once; bad bodies are 400s.
 */
import { describe, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { bearer, json, post, READ_SEA, useAppFixture } from './fixture.js';

const t = useAppFixture();


describe('/v1/keys', () => {
  it('validates the body before creating anything', async () => {
    for (const body of [{}, { scope: 'root' }, { scope: 'read', name: '' }, { scope: 'read', extra: 1 }]) {
      const res = await t.app.request('/v1/keys', post(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await json(res)).error.code).toBe('invalid_request');
    }
    expect((await t.app.request('/v1/keys', post('{nope'))).status).toBe(400);
    expect(keyStoreFor(t.fx.project.state).list()).toEqual([]);
  });

  it('creates the first key on an open loopback server; from the next request on, keys are required', async () => {
    // Open: no key yet.
    expect((await t.app.request('/v1/online-features', post(READ_SEA))).status).toBe(200);
    const created = await t.app.request('/v1/keys', post({ scope: 'admin', name: 'ops' }));
    expect(created.status).toBe(201);
    const admin = await json(created);
    expect(admin).toMatchObject({ id: expect.stringMatching(/^[a-z0-9]{10}$/), name: 'ops', scope: 'admin', revoked: false, revoked_at: null, last_used_at: null });
    expect(admin.key).toMatch(new RegExp(`^fg_${admin.id}_[A-Za-z0-9_-]{43}$`));
    // No Location pointing where a GET answers 405: the new key is in the list at /v1/keys.
    expect(created.headers.get('location')).toBeNull();
    expect(created.headers.get('cache-control')).toBe('no-store');

    // At once, not after the one-second cache of "does any key exist".
    const noKey = await t.app.request('/v1/online-features', post(READ_SEA));
    expect(noKey.status).toBe(401);
    expect((await json(noKey)).error.code).toBe('unauthorized');
    expect((await t.app.request('/v1/keys')).status).toBe(401);
    expect((await t.app.request('/v1/keys', post({ scope: 'admin' }))).status).toBe(401);
    expect((await t.app.request('/v1/online-features', post(READ_SEA, bearer(admin.key)))).status).toBe(200);

    // Same key store as the CLI.
    expect(keyStoreFor(t.fx.project.state).verify(admin.key)).toEqual({ id: admin.id, name: 'ops', scope: 'admin' });
  });

  it('lists keys without secrets, needs admin scope, and revokes at once', async () => {
    const [admin] = keyStoreFor(t.fx.project.state).list();
    const adminKey = keyStoreFor(t.fx.project.state).create('admin', 'second admin').key;
    const readRes = await t.app.request('/v1/keys', post({ scope: 'read' }, bearer(adminKey)));
    expect(readRes.status).toBe(201);
    const reader = await json(readRes);
    expect(reader).toMatchObject({ scope: 'read', name: null });

    const listed = await t.app.request('/v1/keys', { headers: bearer(adminKey) });
    expect(listed.status).toBe(200);
    const text = await listed.text();
    const { keys } = JSON.parse(text);
    expect(keys.map((k: { id: string }) => k.id)).toEqual(expect.arrayContaining([admin.id, reader.id]));
    for (const k of keys) {
      expect(Object.keys(k).sort()).toEqual(['created_at', 'id', 'last_used_at', 'name', 'revoked', 'revoked_at', 'scope']);
    }
    expect(text).not.toContain(reader.key);
    expect(text).not.toContain(reader.key.split('_').at(-1));
    expect(text).not.toMatch(/hash/);

    // A write key is not enough.
    const writer = keyStoreFor(t.fx.project.state).create('write').key;
    expect((await t.app.request('/v1/keys', { headers: bearer(writer) })).status).toBe(403);
    expect((await t.app.request('/v1/keys', post({ scope: 'admin' }, bearer(writer)))).status).toBe(403);
    expect((await t.app.request(`/v1/keys/${reader.id}`, { method: 'DELETE', headers: bearer(reader.key) })).status).toBe(403);

    expect((await t.app.request('/v1/online-features', post(READ_SEA, bearer(reader.key)))).status).toBe(200);
    const revoked = await t.app.request(`/v1/keys/${reader.id}`, { method: 'DELETE', headers: bearer(adminKey) });
    expect(revoked.status).toBe(200);
    expect(await json(revoked)).toMatchObject({ id: reader.id, revoked: true, revoked_at: expect.any(String) });
    expect((await t.app.request('/v1/online-features', post(READ_SEA, bearer(reader.key)))).status).toBe(401);

    const unknown = await t.app.request('/v1/keys/0123456789', { method: 'DELETE', headers: bearer(adminKey) });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatchObject({ code: 'not_found', message: expect.stringContaining('0123456789') });
  });

  it('revokes by the key itself (DELETE /v1/keys/<key>); a key matching none is a 404 without its secret', async () => {
    const store = keyStoreFor(t.fx.project.state);
    const adminKey = store.create('admin', 'revoker').key;
    const leaked = store.create('read', 'leaked');
    const secret = leaked.key.slice(`fg_${leaked.info.id}_`.length);
    const forged = `fg_${leaked.info.id}_${'B'.repeat(43)}`;
    const refused = await t.app.request(`/v1/keys/${forged}`, { method: 'DELETE', headers: bearer(adminKey) });
    expect(refused.status).toBe(404);
    const refusedText = await refused.text();
    expect(refusedText).not.toContain('B'.repeat(43));
    expect(JSON.parse(refusedText).error.message).toContain(`fg_${leaked.info.id}_…`);
    expect(store.verify(leaked.key)).not.toBeNull();

    const res = await t.app.request(`/v1/keys/${leaked.key}`, { method: 'DELETE', headers: bearer(adminKey) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toMatchObject({ id: leaked.info.id, revoked: true, revoked_at: expect.any(String) });
    expect(store.verify(leaked.key)).toBeNull();
  });

  it('is in the OpenAPI document', async () => {
    const doc = await json(await t.app.request('/openapi.json'));
    expect(doc.paths['/v1/keys'].get['x-featureguard-scope']).toBe('admin');
    expect(doc.paths['/v1/keys'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/api_keys_create');
    expect(Object.keys(doc.paths['/v1/keys'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '413']));
    expect(Object.keys(doc.paths['/v1/keys/{id}'].delete.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404']));
  });
});
