/**
 * The request log of a running server names who asked: the peer's address and
 * the id of the API key a request was let in by (never the key itself), for the
 * API's routes and for the web pages.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { bearer, createFixture, READ_SEA, type Fixture } from './fixture.js';

let fx: Fixture;
let server: RunningServer;
const lines: Record<string, unknown>[] = [];
let readKey: { key: string; id: string };
let writeKey: string;

beforeAll(async () => {
  fx = await createFixture();
  const made = keyStoreFor(fx.project.state).create('read', 'dashboards');
  readKey = { key: made.key, id: made.info.id };
  writeKey = keyStoreFor(fx.project.state).create('write', 'pipelines').key;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  server = await startServer(fx.project, { port: 0, scheduler: false, logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await server.close();
  await fx.close();
});

/** The request lines logged for a path, once the log stream has flushed. */
async function logged(path: string): Promise<Record<string, unknown>[]> {
  await new Promise((r) => setTimeout(r, 50));
  return lines.filter((l) => l.msg === 'request' && l.path === path);
}

describe('request log', () => {
  it('records the client address and the key id of an authenticated request, not the key', async () => {
    const res = await fetch(`${server.url}/v1/online-features`, { method: 'POST', headers: { ...bearer(readKey.key), 'content-type': 'application/json' }, body: JSON.stringify(READ_SEA) });
    expect(res.status).toBe(200);
    const [line] = await logged('/v1/online-features');
    expect(line).toMatchObject({ method: 'POST', status: 200, client: '127.0.0.1', key: readKey.id });
    expect(JSON.stringify(lines)).not.toContain(readKey.key);
  });

  it('logs a refused request with its address and no key', async () => {
    const res = await fetch(`${server.url}/v1/runs`, { headers: bearer('fg_0123456789_' + 'x'.repeat(43)) });
    expect(res.status).toBe(401);
    const [line] = await logged('/v1/runs');
    expect(line).toMatchObject({ method: 'GET', status: 401, client: '127.0.0.1' });
    expect(line).not.toHaveProperty('key');
  });

  it('logs a key pasted into the path as its id, never its secret', async () => {
    const res = await fetch(`${server.url}/v1/runs/${readKey.key}`, { headers: bearer(readKey.key) });
    expect(res.status).toBe(404);
    const [line] = await logged(`/v1/runs/fg_${readKey.id}_…`);
    expect(line).toMatchObject({ method: 'GET', status: 404, key: readKey.id });
    expect(JSON.stringify(lines)).not.toContain(readKey.key.slice(-43));
  });

  it('records the key a web page was opened with', async () => {
    const res = await fetch(`${server.url}/ui/runs`, { headers: bearer(readKey.key), redirect: 'manual' });
    expect(res.status).toBe(200);
    const [line] = await logged('/ui/runs');
    expect(line).toMatchObject({ status: 200, key: readKey.id });
  });

  it('names the runs a request made: a push, a blocked push, a materialization (whose end is logged too)', async () => {
    const send = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: 'POST', headers: { ...bearer(writeKey), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const row = { origin: 'SEA', event_timestamp: '2001-01-03T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' };
    const ok = (await (await send('/v1/push', { view: 'origin_delays', rows: [row] })).json()) as { run_id: string };
    const blocked = await send('/v1/push', { view: 'origin_delays', rows: [{ ...row, flights: -1 }] });
    expect(blocked.status).toBe(422);
    const blockedRun = ((await blocked.json()) as { error: { details: { run_id: string } } }).error.details.run_id;
    const started = await send('/v1/materialize', { start: '2001-01-01', end: '2001-01-02' });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { job_id: string; runs: { run_id: string }[] };
    const pushes = await logged('/v1/push');
    expect(pushes.map((l) => [l.status, l.run_ids, l.views])).toEqual([[200, [ok.run_id], ['origin_delays']], [422, [blockedRun], ['origin_delays']]]);
    expect((await logged('/v1/materialize'))[0]).toMatchObject({ status: 202, run_ids: [job.runs[0].run_id], views: ['origin_delays'] });
    for (let i = 0; i < 100 && !lines.some((l) => l.job === job.job_id); i++) await new Promise((r) => setTimeout(r, 50));
    expect(lines.find((l) => l.job === job.job_id)).toMatchObject({
      msg: 'materialization finished', status: 'done', runs: [{ view: 'origin_delays', id: job.runs[0].run_id, status: expect.stringMatching(/^(success|warned)$/) }],
    });
  });
});
