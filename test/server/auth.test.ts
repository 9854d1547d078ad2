/**
 * API keys on the HTTP API: open on loopback while no key exists, then keys
 * required (401), scopes enforced (403), revocation immediate; binding beyond
 * loopback without keys refused.
 */
import { describe, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { checkBinding, isLoopback, startServer } from '../../src/server/serve.js';
import { openProject } from '../../src/project.js';
import { bearer, createFixture, post, READ_SEA, useAppFixture } from './fixture.js';

const t = useAppFixture();

const pushBody = { view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' }] };

describe('API keys', () => {
  it('allows everything while no key exists (loopback default)', async () => {
    expect((await t.app.request('/v1/online-features', post(READ_SEA))).status).toBe(200);
    expect((await t.app.request('/v1/runs')).status).toBe(200);
  });

  it('requires keys once one exists (created by another process), with scopes', async () => {
    // Another process creates the keys (a second connection to the same state db).
    const other = openProject(t.fx.dir);
    const keys = keyStoreFor(other.state);
    const readKey = keys.create('read', 'reader').key;
    const writeKey = keys.create('write', 'writer').key;
    const admin = keys.create('admin', 'ops');
    await other.close();
    await new Promise((r) => setTimeout(r, 1100)); // the "any key exists" answer is cached for 1 s

    const noKey = await t.app.request('/v1/online-features', post(READ_SEA));
    expect(noKey.status).toBe(401);
    expect((await noKey.json()).error.code).toBe('unauthorized');
    expect((await t.app.request('/v1/online-features', post(READ_SEA, bearer('fg_0123456789_' + 'x'.repeat(43))))).status).toBe(401);
    expect((await t.app.request('/v1/online-features', post(READ_SEA, { authorization: 'Basic abc' }))).status).toBe(401);

    expect((await t.app.request('/v1/online-features', post(READ_SEA, bearer(readKey)))).status).toBe(200);
    expect((await t.app.request('/v1/online-features', post(READ_SEA, { 'x-api-key': readKey }))).status).toBe(200);
    expect((await t.app.request('/v1/runs', { headers: bearer(readKey) })).status).toBe(200);
    // The web pages' cookie is not an API credential (no cross-site use of it).
    expect((await t.app.request('/v1/runs', { headers: { cookie: `featureguard_key=${readKey}` } })).status).toBe(401);

    const denied = await t.app.request('/v1/push', post(pushBody, bearer(readKey)));
    expect(denied.status).toBe(403);
    expect((await denied.json()).error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/scope 'read'.*'write'/) });
    expect((await t.app.request('/v1/push', post(pushBody, bearer(writeKey)))).status).toBe(200);
    expect((await t.app.request('/v1/materialize', post({ incremental: true }, bearer(readKey)))).status).toBe(403);

    const set = t.fx.project.registry.current();
    const defs = { definitions: [...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values()] };
    expect((await t.app.request('/v1/registry/apply', post(defs, bearer(writeKey)))).status).toBe(403);
    expect((await t.app.request('/v1/registry/apply', post(defs, bearer(admin.key)))).status).toBe(200);
    expect((await t.app.request('/v1/registry/plan', post(defs, bearer(readKey)))).status).toBe(200);

    // Operational endpoints stay open for probes and scrapers.
    expect((await t.app.request('/health')).status).toBe(200);
    expect((await t.app.request('/metrics')).status).toBe(200);

    // Revocation takes effect at once, even from another process.
    const third = openProject(t.fx.dir);
    keyStoreFor(third.state).revoke(admin.info.id);
    await third.close();
    expect((await t.app.request('/v1/registry/apply', post(defs, bearer(admin.key)))).status).toBe(401);
    expect(keyStoreFor(t.fx.project.state).list().find((k) => k.id === admin.info.id)?.last_used_at).not.toBeNull();
  });

  it('auth is checked before the body is parsed', async () => {
    const res = await t.app.request('/v1/online-features', post('{not json'));
    expect(res.status).toBe(401);
  });
});

describe('binding', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(h), h).toBe(true);
    // Other spellings of ::1 and of IPv4-mapped 127.0.0.0/8.
    for (const h of ['0:0:0:0:0:0:0:1', '[0:0:0:0:0:0:0:1]', '::0:1', '0000:0000:0000::0001', '::ffff:127.0.0.1', '::FFFF:127.9.8.7', '::ffff:7f00:1', '[::ffff:7fff:ffff]']) {
      expect(isLoopback(h), h).toBe(true);
    }
    for (const h of ['0.0.0.0', '::', '192.168.1.4', 'example.com', '0:0:0:0:0:0:0:0', '::2', '::ffff:8000:1', '::ffff:128.0.0.1', '::127.0.0.1', 'fe80::1', '::1%lo', '1::1']) {
      expect(isLoopback(h), h).toBe(false);
    }
  });

  it('listens without keys on another spelling of ::1', async () => {
    const fx = await createFixture();
    try {
      expect(checkBinding(fx.project, '0:0:0:0:0:0:0:1')).toEqual({ requireKeys: false });
      const server = await startServer(fx.project, { host: '0:0:0:0:0:0:0:1', port: 0, scheduler: false, quiet: true });
      try {
        expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
        expect((await fetch(`${server.url}/v1/runs`)).status).toBe(200);
      } finally {
        await server.close();
      }
      await expect(startServer(fx.project, { host: '::2', port: 0, scheduler: false })).rejects.toThrow(/refusing to listen on ::2 without API keys/);
    } finally {
      await fx.close();
    }
  });

  it('listens on [::1] and ::ffff:127.0.0.1 as the addresses they name (a bracketed name failed; the mapped one answered every request with a bare 400)', async () => {
    const fx = await createFixture();
    try {
      for (const [given, url] of [['[::1]', /^http:\/\/\[::1\]:\d+$/], ['::ffff:127.0.0.1', /^http:\/\/127\.0\.0\.1:\d+$/]] as const) {
        const server = await startServer(fx.project, { host: given, port: 0, scheduler: false, quiet: true });
        try {
          expect(server.url).toMatch(url);
          expect((await fetch(`${server.url}/health`)).status).toBe(200);
        } finally {
          await server.close();
        }
      }
    } finally {
      await fx.close();
    }
  });

  it('refuses a non-loopback host without keys, and requires keys there even after revoking all', async () => {
    const bare = await createFixture();
    try {
      await expect(startServer(bare.project, { host: '0.0.0.0', port: 0, scheduler: false })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without API keys/);
      const { info } = keyStoreFor(bare.project.state).create('read');
      expect(checkBinding(bare.project, '0.0.0.0')).toEqual({ requireKeys: true });
      keyStoreFor(bare.project.state).revoke(info.id);
      const strict = createApp(bare.project, { requireKeys: true });
      expect((await strict.request('/v1/runs')).status).toBe(401);
    } finally {
      await bare.close();
    }
  });
});
