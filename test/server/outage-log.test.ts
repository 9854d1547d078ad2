/**
 * The log of a server whose Redis is down: every read answers 503 `store_unavailable`, an expected, documented
 * condition, not a bug. It is logged as the condition (one short line when it starts, a count while it lasts),
 * without stacks and without a line per request under `--quiet`; a real 500 keeps its stack.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { startRedisServer, type RedisProcess } from '../setup/redis.js';
import { createFixture, READ_SEA, type Fixture } from './fixture.js';

let redis: RedisProcess;
let fx: Fixture;
let server: RunningServer;
const lines: string[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://127.0.0.1:${redis.port}", key_prefix: "fgoutage:"}` });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  server = await startServer(fx.project, { port: 0, scheduler: false, quiet: true, logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await server?.close();
  await fx?.close();
  await redis?.stop();
});

it('logs a store outage as one short line, not a stack per request, under --quiet', async () => {
  await redis.stop();
  const from = lines.length;
  for (let i = 0; i < 40; i++) {
    const res = await fetch(`${server.url}/v1/online-features`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(READ_SEA) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('store_unavailable');
  }
  await new Promise((r) => setTimeout(r, 50));
  const logged = lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(logged.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);
  expect(logged.filter((l) => (l.level as number) >= 50)).toEqual([]);
  expect(logged.length).toBeLessThanOrEqual(2);
  expect(logged[0]).toMatchObject({ level: 40, code: 'store_unavailable', status: 503, method: 'POST', path: '/v1/online-features' });
  expect(String(logged[0].error)).toMatch(/redis online store .* is unavailable/);
  expect(lines.slice(from).join('\n').length).toBeLessThan(1_000);
});
