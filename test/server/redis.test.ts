/**
 * The API on a Redis online store (the real redis-server from the global setup):
 * two server replicas over one project and one Redis — a push through one is
 * read through the other, and a materialization is visible to both.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { openProject, type Project } from '../../src/project.js';
import { createApp } from '../../src/server/app.js';
import { createFixture, post, type Fixture } from './fixture.js';

let fx: Fixture;
let replica: Project;
beforeAll(async () => {
  const prefix = `fgtest_server_${process.pid}_${Date.now()}:`;
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://127.0.0.1:${inject('redisPort')}", key_prefix: "${prefix}"}` });
  replica = openProject(fx.dir);
});
afterAll(async () => {
  await replica?.close();
  await fx?.close();
});

it('serves, pushes and materializes through Redis across replicas', async () => {
  const a = createApp(fx.project);
  const b = createApp(replica);
  const [result] = await materialize(fx.project, { start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' });
  expect(['success', 'warned']).toContain(result.status);
  const read = async (app: typeof a) =>
    (await (await app.request('/get-online-features', post({ features: ['origin_delays:dep_delay', 'origin_delays:carrier'], entities: { origin: ['SFO', 'SEA'] } }))).json()) as any;
  expect((await read(b)).results.slice(1).map((r: any) => r.values)).toEqual([[123, 23], ['AA', 'AA']]);
  const pushed = await a.request('/v1/push', post({
    view: 'origin_delays',
    rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 42.25, flights: 3, carrier: 'DL' }],
  }));
  expect(pushed.status).toBe(200);
  const after = await read(b);
  expect(after.results.slice(1).map((r: any) => r.values)).toEqual([[123, 42.25], ['AA', 'DL']]);
  expect(after.results[1].event_timestamps).toEqual(['2001-01-01T23:00:00Z', '2001-01-02T00:00:00Z']);
  expect((await b.request('/ready')).status).toBe(200);
});
