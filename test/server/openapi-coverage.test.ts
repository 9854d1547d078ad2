/**
 * `/openapi.json` documents the statuses the server answers: requests that get
 * each error through the app, checked against the route's documented responses;
 * and every schema `format` is JSON Schema's own or declared by the document.
 */
import { expect, it } from 'vitest';
import { ROUTES } from '../../src/server/openapi.js';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

/** The statuses `/openapi.json` documents for a route. */
async function documented(method: string, path: string): Promise<string[]> {
  const doc = await json(await t.app.request('/openapi.json'));
  return Object.keys(doc.paths[path][method].responses);
}

it('documents the errors the routes answer', async () => {
  const cases: [method: string, path: string, url: string, init: RequestInit | undefined, status: number][] = [
    ['get', '/v1/runs', '/v1/runs?kind=nope', undefined, 400],
    ['get', '/v1/runs', '/v1/runs?limit=1&limit=2', undefined, 400],
    ['post', '/v1/alerts/redeliver', '/v1/alerts/redeliver', post({ run_id: 'no-such-run' }), 404],
  ];
  // Every route with a body refuses a compressed one.
  for (const r of ROUTES.filter((x) => x.body)) {
    const init = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } };
    cases.push([r.method, r.path, r.path.replace(/\{(\w+)\}/g, 'x'), init, 415]);
  }
  for (const [method, path, url, init, status] of cases) {
    const res = await t.app.request(url, init);
    expect(res.status, `${method} ${url}: ${await res.clone().text()}`).toBe(status);
    expect(await documented(method, path), `${method} ${path}`).toContain(String(status));
  }
});

it('declares the formats its schemas use beyond JSON Schema', async () => {
  const doc = await json(await t.app.request('/openapi.json'));
  const used = new Set([...JSON.stringify(doc.components).matchAll(/"format":"([^"]+)"/g)].map((m) => m[1]));
  const standard = new Set(['date-time', 'date', 'time', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uri', 'uri-reference', 'uuid', 'regex', 'int32', 'int64', 'float', 'double', 'byte', 'binary', 'password']);
  const custom = [...used].filter((f) => !standard.has(f));
  expect(custom).toContain('featureguard-duration');
  for (const f of custom) expect(doc['x-featureguard-formats']?.[f], f).toMatchObject({ type: 'string', pattern: expect.any(String), description: expect.any(String) });
  expect(new RegExp(doc['x-featureguard-formats']['featureguard-duration'].pattern).test('6h')).toBe(true);
});
