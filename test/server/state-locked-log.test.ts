/**
 * The log of a server whose state database another process holds locked (a CLI apply, prune or backup): pushes
 * answer 503 `state_unavailable`, an expected condition that the server logs as one (`unavailable-log.ts`): a short
 * `warn` line naming SQLite's reason, no stack per request. A real 500 keeps its stack.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { holdWriteLock } from '../helpers/write-lock.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let server: RunningServer;
const lines: string[] = [];

beforeAll(async () => {
  fx = await createFixture();
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
});

const push = (hour: number) => fetch(`${server.url}/v1/push`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: `2001-01-02T${String(hour).padStart(2, '0')}:00:00Z`, dep_delay: 1.5, flights: 7, carrier: 'UA' }] }),
});

it('logs pushes refused while the state database is locked as one short line, without stacks', async () => {
  expect((await push(1)).status).toBe(200); // the tables a push writes exist, as in a served project
  // The limit is the connection's busy timeout (10 s in a real project): shortened for the test.
  fx.project.state.pragma('busy_timeout = 300');
  const { ended } = await holdWriteLock(join(fx.dir, '.featureguard', 'state.db'), 2500);
  const from = lines.length;
  for (const hour of [2, 3, 4]) {
    const res = await push(hour);
    expect([res.status, res.headers.get('retry-after'), ((await res.json()) as { error: { code: string } }).error.code]).toEqual([503, '5', 'state_unavailable']);
  }
  await ended;
  await new Promise((r) => setTimeout(r, 50));
  const logged = lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(logged.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);
  expect(logged.filter((l) => (l.level as number) >= 50)).toEqual([]);
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ level: 40, msg: 'answering 503 state_unavailable', code: 'state_unavailable', status: 503, method: 'POST', path: '/v1/push' });
  expect(String(logged[0].error)).toMatch(/SQLITE_BUSY.*database is locked/);
});
