/**
 * `/openapi.json` documents the push routes' `Idempotency-Key` request header and the `Idempotent-Replayed` header
 * of a replayed answer, on the routes that take them (`/v1/push`, `/push`) and not on Feast's
 * `/write-to-online-store`, which reads no key; the names are those a real replay sends and answers.
 */
import { expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();
const lower = (names: Iterable<string>) => [...names].map((n) => n.toLowerCase());

it('names Idempotency-Key and Idempotent-Replayed on /v1/push and /push, as a real replay uses them', async () => {
  const doc = await json(await t.app.request('/openapi.json'));
  // The reference: a retried push with a key, its answer's header.
  const body = { view: 'origin_delays', to: 'online', rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 7, flights: 1, carrier: 'AA' }] };
  expect((await t.app.request('/v1/push', post(body, { 'Idempotency-Key': 'doc-1' }))).status).toBe(200);
  const replay = await t.app.request('/v1/push', post(body, { 'Idempotency-Key': 'doc-1' }));
  expect(replay.status).toBe(200);
  const sent: string[] = [];
  replay.headers.forEach((_v, h) => { if (h.startsWith('idempot')) sent.push(h); });
  expect(sent).toEqual(['idempotent-replayed']);
  for (const path of ['/v1/push', '/push']) {
    const op = doc.paths[path].post;
    const params = (op.parameters ?? []) as { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
    const key = params.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
    expect(key, `${path}: Idempotency-Key`).toMatchObject({ required: false, schema: { type: 'string', minLength: 1, maxLength: 255 }, description: expect.stringContaining('24 hours') });
    expect(lower(Object.keys(op.responses['200'].headers ?? {})), `${path}: 200 headers`).toEqual(expect.arrayContaining(sent));
    expect(op.responses['409'].description, path).toContain('idempotency_key_reused');
    expect(op.responses['400'].description, path).toContain('invalid_idempotency_key');
  }
  const write = doc.paths['/write-to-online-store'].post;
  expect((write.parameters ?? []).filter((p: { in: string }) => p.in === 'header')).toEqual([]);
  expect(write.responses['200'].headers).toBeUndefined();
});
