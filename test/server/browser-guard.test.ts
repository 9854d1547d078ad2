/**
 * A server without API keys (open on loopback) against what a web page could make a browser send it: requests
 * under another name (DNS rebinding) and cross-site writes are refused; scripts (no Sec-Fetch-Site, no Origin,
 * a loopback Host) are served as before, and with keys nothing of this applies. Real HTTP on 127.0.0.1, so the
 * Host header is the one a client sends.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { loopbackHost } from '../../src/server/browser-guard.js';
import { createFixture, READ_SEA, type Fixture } from './fixture.js';
import { createApp } from '../../src/server/app.js';

let fx: Fixture;
let server: ServerType;
let port: number;
const logged: { method: string; path: string; status: number }[] = [];

beforeAll(async () => {
  fx = await createFixture();
  const app = createApp(fx.project, { ui: true, requestLog: (line) => logged.push(line) });
  server = await new Promise<ServerType>((res) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => res(s));
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await fx.close();
});

/** One request to the server on 127.0.0.1 with exactly these headers (Host included). */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pushBody = JSON.stringify({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' }], to: 'online' });

describe('a server without keys, against browsers', () => {
  it('answers loopback names only (DNS rebinding), except liveness and readiness', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST', '127.1.2.3:80']) {
      expect((await send('GET', '/v1/runs', { host })).status, host).toBe(200);
    }
    const refused = await send('GET', '/v1/runs', { host: `evil.example:${port}` });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toMatchObject({ code: 'host_not_allowed', message: expect.stringContaining("not 'evil.example:") });
    expect((await send('GET', '/ui/runs', { host: 'evil.example' })).status).toBe(403);
    expect((await send('POST', '/v1/online-features', { host: 'evil.example', 'content-type': 'application/json' }, JSON.stringify(READ_SEA))).status).toBe(403);
    expect((await send('GET', '/health', { host: 'evil.example' })).status).toBe(200);
    // The guard remembers the last loopback name it checked (one check per client), never a refused one.
    for (const host of [`localhost:${port}`, `evil.example:${port}`, `localhost:${port}`, `localhost.evil.example:${port}`, `127.0.0.1:${port}`]) {
      expect((await send('GET', '/v1/runs', { host })).status, host).toBe(host.includes('evil') ? 403 : 200);
    }
    // Refused requests are in the request log like any other.
    expect(logged).toContainEqual(expect.objectContaining({ method: 'GET', path: '/ui/runs', status: 403 }));
  });

  it('refuses writes a browser sends from another site, and nothing is written; scripts and same-origin pages write', async () => {
    const host = `127.0.0.1:${port}`;
    const runsBefore = fx.project.runs.list({ limit: 500 }).total;
    const browsers: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://evil.example' }, { origin: 'null' }];
    for (const headers of browsers) {
      // text/plain: a "simple" request, which a browser sends cross-site without asking the server first.
      const r = await send('POST', '/v1/push', { host, 'content-type': 'text/plain', ...headers }, pushBody);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(r.body).error.code).toBe('cross_site_refused');
    }
    expect((await send('POST', '/v1/keys', { host, 'sec-fetch-site': 'cross-site' }, JSON.stringify({ scope: 'admin' }))).status).toBe(403);
    expect(fx.project.runs.list({ limit: 500 }).total).toBe(runsBefore);
    expect(keyStoreFor(fx.project.state).list()).toEqual([]);
    // Every post counts, online reads included (no page of another site has a reason to read features here).
    expect((await send('POST', '/v1/online-features', { host, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, JSON.stringify(READ_SEA))).status).toBe(403);
    // A script (no browser headers) and a same-origin page push.
    expect((await send('POST', '/v1/push', { host, 'content-type': 'application/json' }, pushBody)).status).toBe(200);
    expect((await send('POST', '/v1/push', { host, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', origin: `http://${host}` }, pushBody)).status).toBe(200);
  });

  it('with keys, the name and the site do not matter: the key does', async () => {
    const key = keyStoreFor(fx.project.state).create('read', 'guard-test').key;
    await new Promise((r) => setTimeout(r, 1100)); // the "any key exists" answer is cached for 1 s
    const r = await send('GET', '/v1/runs', { host: 'features.example.com', authorization: `Bearer ${key}` });
    expect(r.status).toBe(200);
    expect((await send('GET', '/v1/runs', { host: 'features.example.com' })).status).toBe(401);
  });

  it('loopbackHost takes localhost, 127.0.0.0/8 and [::1], with or without a port, and nothing else', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), (ip, p) => {
        const host = p === undefined ? ip : `${ip}:${p}`;
        expect(loopbackHost(host)).toBe(ip.startsWith('127.') || ip === '0.0.0.0');
      }),
    );
    // Any spelling of the IPv6 loopback, by an independent reading: every group 0 but the last, which is 1.
    const groups = (ip: string): number[] => {
      const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
      const part = (x: string | undefined) => (x ? x.split(':').flatMap((g) => (g.includes('.') ? [0, 0] : [parseInt(g, 16)])) : []);
      const h = part(head);
      const t = part(tail);
      return tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
    };
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), fc.constantFrom('0:0:0:0:0:0:0:1', '::0001', '0::1', '0000:0000::0:1', '::1:0', '1::')), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), (ip, p) => {
        const host = p === undefined ? `[${ip}]` : `[${ip}]:${p}`;
        const g = groups(ip);
        expect(loopbackHost(host), host).toBe(!ip.includes('.') && g.length === 8 && g.slice(0, 7).every((x) => x === 0) && g[7] === 1);
      }),
      { numRuns: 500 },
    );
    for (const host of ['localhost', 'LocalHost:8080', 'localhost.', '127.0.0.1.:80', '[::1]', '[::1]:6567', '0.0.0.0:6567', '[0:0:0:0:0:0:0:1]:6567', '[::0001]']) expect(loopbackHost(host), host).toBe(true);
    for (const host of ['localhost.evil.example', 'evil.localhost.example', '127.0.0.1.evil.example', 'localhost..', '[::2]', '[::ffff:127.0.0.1]', '0.0.0.1', '', '[::1', '[::1]x', '[::1]@evil.example', '[zz::1]']) expect(loopbackHost(host), host).toBe(false);
  });
});
