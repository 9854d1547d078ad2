/**
 * A materialization hands its alert delivery to the caller's `deliverAlerts` (a server's background work) instead of
 * waiting for the receiver: the option says so, not the stop signal it was started with. A receiver that never
 * answers (5 s per try, 3 tries) does not hold the run; the delivery is the caller's to await or cut (`alertSignal`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { listAlertAttempts } from '../../src/alerts/dispatch.js';
import { materialize } from '../../src/materialize/materialize.js';
import { guardBench, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
const servers: Server[] = [];
afterEach(async () => {
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
  await bench?.close();
  bench = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A receiver that reads every request and never answers; `got` counts them. */
async function silentReceiver(): Promise<{ url: string; got: () => number }> {
  let got = 0;
  const server = createServer((req) => {
    req.resume();
    req.on('end', () => got++);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got: () => got };
}

it('hands the delivery to deliverAlerts and ends without waiting for the receiver, under any stop signal or none', async () => {
  process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '10';
  const silent = await silentReceiver();
  bench = await guardBench({ alerts: [{ name: 'any', url: silent.url, statuses: ['success', 'warned', 'blocked', 'failed'] }] });
  const handed: Promise<unknown>[] = [];
  const stop = new AbortController();
  const t0 = Date.now();
  // A signal no server registered anywhere, then none: the option alone decides.
  const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-02', views: ['delays'], alertSignal: stop.signal, deliverAlerts: async (d) => void handed.push(d) });
  expect(r.status).toMatch(/^(success|warned)$/);
  expect(Date.now() - t0).toBeLessThan(4500);
  expect(handed).toHaveLength(1);
  for (let i = 0; i < 300 && silent.got() < 1; i++) await new Promise((res) => setTimeout(res, 10));
  expect(silent.got()).toBe(1);
  // Nothing recorded yet: the first try is waiting for the receiver. Stopping cuts it, recorded as interrupted.
  expect(listAlertAttempts(bench.project, r.run!.id)).toEqual([]);
  stop.abort();
  await handed[0];
  expect(listAlertAttempts(bench.project, r.run!.id)).toMatchObject([{ alert: 'any', ok: false, error: expect.stringMatching(/interrupted/) }]);

  const t1 = Date.now();
  const [second] = await materialize(bench.project, { start: '2024-01-02', end: '2024-01-03', views: ['delays'], deliverAlerts: async (d) => void handed.push(d) });
  expect(second.status).toMatch(/^(success|warned)$/);
  expect(Date.now() - t1).toBeLessThan(4500);
  expect(handed).toHaveLength(2);
  // The receiver gone, the retries fail at once (10 ms apart) and the delivery ends, each try recorded.
  for (const s of servers.splice(0)) {
    s.close();
    s.closeAllConnections();
  }
  await handed[1];
  expect(listAlertAttempts(bench.project, second.run!.id).map((a) => a.ok)).toEqual([false, false, false]);
}, 60_000);
