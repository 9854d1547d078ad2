/**
 * A Redis password given in the online store URL's query string (`?password=`, which ioredis reads
 * like `user:pass@`) never reaches a message while Redis is unreachable: not `/ready` (no key), not a
 * 503 answer, not a failed run's record, not the error log (a review finding: all of them showed it).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { freeRedisPort } from '../setup/redis.js';
import { createFixture, post, type Fixture } from './fixture.js';

const SECRET = 'S3cretRedisPw';
let port: number;
let fx: Fixture;
let app: FeatureguardApp;
const logged: unknown[] = [];

beforeAll(async () => {
  port = await freeRedisPort(); // nothing listens there: the store is unreachable
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://fguser:${SECRET}x@127.0.0.1:${port}/0?password=${SECRET}&db=0", key_prefix: "fgpw:"}` });
  app = createApp(fx.project, { errorLog: (e) => logged.push(e) });
});
afterAll(async () => {
  await fx?.close();
});

const shown = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x, (_k, v: unknown) => (v instanceof Error ? { ...v, message: v.message, cause: String((v as { cause?: unknown }).cause) } : v)));

it('/ready answers a code and a safe message, without the URL\'s password', async () => {
  const res = await app.request('/ready');
  const text = await res.text();
  expect(res.status).toBe(503);
  expect(text).not.toContain(SECRET);
  expect(JSON.parse(text).checks.online_store).toEqual({ ok: false, code: 'store_unavailable', error: 'the online store is unavailable' });
});

it('a 503 answer, a failed run and the error log name the store by host, port and database only', async () => {
  const res = await app.request('/v1/online-features', post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'] } }));
  const text = await res.text();
  expect(res.status).toBe(503);
  expect(text).not.toContain(SECRET);
  const body = JSON.parse(text);
  expect(body.error.code).toBe('store_unavailable');
  expect(body.error.message).toContain(`the redis online store (redis://127.0.0.1:${port}/0) is unavailable`);
  expect(body.error.details.address).toBe(`redis://127.0.0.1:${port}/0`);

  const [run] = await materialize(fx.project, { start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' });
  expect(run.status).toBe('failed');
  const runs = fx.project.runs.list({}).runs;
  expect(runs.length).toBeGreaterThan(0);
  expect(shown(runs)).toContain(`redis://127.0.0.1:${port}/0`);
  expect(shown(runs)).not.toContain(SECRET);
  expect(shown(run)).not.toContain(SECRET);
  expect(logged.length).toBeGreaterThan(0);
  for (const e of logged) expect(shown(e)).not.toContain(SECRET);
});
