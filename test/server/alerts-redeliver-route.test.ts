/**
 * `POST /v1/alerts/redeliver` names a run as `featureguard alerts redeliver --run` does: its id or its first 8
 * characters (a real receiver on 127.0.0.1, the real state database).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { NOT_JUDGED, fireAlerts } from '../../src/alerts/dispatch.js';
import { createApp } from '../../src/server/app.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';

let server: Server | undefined;
let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
});

it("takes a run's id by its first 8 characters, as the CLI does; an unknown one is a 404", async () => {
  let up = false;
  let got = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got++;
      res.writeHead(up ? 204 : 503).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
  bench = await guardBench({ alerts: [{ name: 'failures', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, statuses: ['failed'] }] });
  const run = bench.project.runs.create({ kind: 'push', view: 'delays', options: {} });
  bench.project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
  await fireAlerts(bench.project, run.id, NOT_JUDGED);
  expect(got).toBe(3);
  up = true;
  const app = createApp(bench.project, { ui: false });
  const post = (body: unknown) => app.request('/v1/alerts/redeliver', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const res = await post({ all: true, run_id: run.id.slice(0, 8) });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ delivered: 1, waiting_total: 0 });
  expect(got).toBe(4);
  const missing = await post({ run_id: 'ffffffff' });
  expect(missing.status).toBe(404);
});
